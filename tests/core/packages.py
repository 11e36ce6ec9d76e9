"""Packages for core tests, built with the edXML library; and a database snapshot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from gateway import edxml
from gateway.store.db import Store

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
TABLES = ("agencies", "messages", "deliveries", "document_keys", "status_events")


def document(
    sender: str = G22,
    recipients: tuple[str, ...] = (H41, H14),
    *,
    code_number: str = "7816",
    **fields: Any,
) -> bytes:
    """A valid document package built with the edXML library."""
    build = fields.pop("builder", edxml.new_document)
    package = build(
        sender=edxml.Organization(sender, organ_name=NAMES.get(sender, sender)),
        recipients=[edxml.Organization(r, organ_name=NAMES.get(r, r)) for r in recipients],
        code_number=code_number,
        code_notation="VPCP-TTĐT",
        subject=fields.pop("subject", "V/v kết nối, liên thông phần mềm quản lý văn bản"),
        promulgation_place="Hà Nội",
        signer_competence="KT. BỘ TRƯỞNG",
        signer_position="Thứ trưởng",
        signer_name="Nguyễn Văn A",
        promulgation_date=fields.pop("promulgation_date", "2024/05/17"),
        **fields,
    )
    return edxml.write(package)


def document_id_of(package: bytes) -> str:
    return edxml.read(package).document_id


def status_package(
    code: str, sender: str, answered: str, document_id: str, **fields: Any
) -> bytes:
    """A status message package from ``sender`` about ``answered``'s document."""
    message = edxml.status_message(
        code,
        sender=edxml.Organization(sender, organ_name=NAMES.get(sender, sender)),
        document=edxml.ResponseFor(answered, "7816/VPCP-TTĐT", "2024/05/17", document_id),
        **fields,
    )
    return edxml.write(message)


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: compare before and after to prove nothing changed."""
    with store.read() as connection:
        return {
            table: sorted(tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}")))
            for table in TABLES
        }
