"""Signed packages and the raw SOAP requests that carry them, built before any clock runs.

Every package sent is a different document (its own CodeNumber, so its own DocumentId
and SHA-256): a resend would take the gateway's quick duplicate path and flatter it.
Each is signed (RSA-2048, SHA-256) with the sender's certificate, which is registered
for the sender, so the gateway verifies every signature and pins the certificate.
"""

from __future__ import annotations

import base64
import os
import random
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from multiprocessing import get_context
from pathlib import Path

from gateway import edxml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # throwaway test keys: tests/edxml/certs.py

from edxml.certs import make_identity  # noqa: E402

__all__ = ["SENDER", "RECIPIENT", "FANOUT", "AGENCIES", "TNS", "identity", "build_packages",
           "send_body", "get_body", "pending_body", "auth_header"]

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"
FANOUT = tuple(f"000.01.00.B{n:02d}" for n in range(1, 61))
AGENCIES = {SENDER: "Văn phòng Chính phủ", RECIPIENT: "UBND tỉnh Nghệ An",
            **{organ_id: f"Sở ban ngành {organ_id[-2:]}" for organ_id in FANOUT}}
TNS = "urn:edxml-gateway:soap:1"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"


@cache
def identity() -> tuple[bytes, bytes]:
    """The sender's key and certificate (PEM)."""
    return make_identity("Văn phòng Chính phủ (benchmark)")


@cache
def _signer() -> edxml.Signer:
    return edxml.Signer(*identity())


def _document(code_number: str, recipients: Sequence[str], data: bytes | None) -> bytes:
    files = [("van-ban.pdf", data, "application/pdf")] if data is not None else []
    return edxml.write(edxml.new_document(
        sender=SENDER, recipients=list(recipients), code_number=code_number,
        code_notation="VPCP-TTĐT", subject="V/v kết nối, liên thông phần mềm quản lý văn bản",
        promulgation_place="Hà Nội", signer_competence="TL. BỘ TRƯỞNG",
        signer_position="Cục trưởng", signer_name="Nguyễn Văn A", files=files,
    ))


@cache
def _overhead(recipients: tuple[str, ...]) -> int:
    return len(_signer().sign(_document("1", recipients, b"")))


def _package(task: tuple[int, str, tuple[str, ...]]) -> bytes:
    """A signed package of about ``size`` bytes (never less than an empty document)."""
    size, code_number, recipients = task
    room = size - _overhead(recipients)
    data = random.Random(code_number).randbytes(room * 3 // 4) if room > 0 else None
    return _signer().sign(_document(code_number, recipients, data))


def build_packages(size: int, count: int, prefix: str,
                   recipients: Sequence[str] = (RECIPIENT,)) -> list[bytes]:
    """``count`` different signed packages of about ``size`` bytes (on every core)."""
    tasks = [(size, f"{prefix}{n}", tuple(recipients)) for n in range(count)]
    _overhead(tuple(recipients))  # once, before the workers fork
    if count < 4:
        return [_package(task) for task in tasks]
    workers = min(os.cpu_count() or 1, 4)
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        return list(pool.map(_package, tasks, chunksize=max(1, count // (workers * 4))))


def _envelope(operation: str, body: bytes = b"") -> bytes:
    return b"".join([
        f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP11}"><s:Body>'
        f'<op:{operation} xmlns:op="{TNS}">'.encode(),
        body,
        f"</op:{operation}></s:Body></s:Envelope>".encode(),
    ])


def send_body(package: bytes) -> bytes:
    return _envelope("sendDocument",
                     b"".join([b"<op:package>", base64.b64encode(package), b"</op:package>"]))


def get_body(message_id: str) -> bytes:
    return _envelope("getDocument", f"<op:messageId>{message_id}</op:messageId>".encode())


def pending_body(limit: int | None = None) -> bytes:
    return _envelope("getPendingDocuments",
                     f"<op:limit>{limit}</op:limit>".encode() if limit else b"")


def auth_header(organ_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{organ_id}:{secret}".encode()).decode()
