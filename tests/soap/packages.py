"""Packages and raw SOAP envelopes for the SOAP tests, built with the edXML library."""

from __future__ import annotations

import base64
from typing import Any

from gateway import edxml

G22, H41, H14, G17, H53 = (
    "000.00.00.G22", "000.00.00.H41", "000.00.00.H14", "000.00.00.G17", "000.00.13.H53"
)
NAMES = {
    G22: "Văn phòng Chính phủ",
    H41: "UBND tỉnh Nghệ An",
    H14: "UBND tỉnh Cao Bằng",
    G17: "Sở Thông tin và Truyền thông Hải Phòng",
    H53: "Sở Nội vụ tỉnh Tây Ninh",
}
TNS = "urn:edxml-gateway:soap:1"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"


def organization(organ_id: str) -> edxml.Organization:
    return edxml.Organization(organ_id, organ_name=NAMES.get(organ_id, organ_id))


def document(sender: str = G22, recipients: tuple[str, ...] = (H41, H14), *,
             code_number: str = "7816", subject: str = "V/v kết nối liên thông văn bản",
             files: list[tuple[str, bytes]] | None = None, **fields: Any) -> bytes:
    """A valid new document from ``sender`` to ``recipients``."""
    package = edxml.new_document(
        sender=organization(sender),
        recipients=[organization(r) for r in recipients],
        code_number=code_number,
        code_notation="VPCP-TTĐT",
        subject=subject,
        promulgation_place="Hà Nội",
        signer_competence="KT. BỘ TRƯỞNG",
        signer_position="Thứ trưởng",
        signer_name="Nguyễn Văn A",
        promulgation_date="2024/05/17",
        files=files or [],
        **fields,
    )
    return edxml.write(package)


def envelope(operation: str, body: str = "", *, header: str = "",
             namespace: str = TNS) -> bytes:
    """A SOAP 1.1 request calling ``operation`` with ``body`` as its children's XML."""
    head = f"<s:Header>{header}</s:Header>" if header else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{SOAP11}">{head}<s:Body>'
        f'<op:{operation} xmlns:op="{namespace}">{body}</op:{operation}>'
        f"</s:Body></s:Envelope>"
    ).encode()


def send_envelope(package: bytes) -> bytes:
    """A sendDocument request carrying ``package``."""
    encoded = base64.b64encode(package).decode()
    return envelope("sendDocument", f"<op:package>{encoded}</op:package>")
