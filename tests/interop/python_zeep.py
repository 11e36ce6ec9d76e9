"""The whole exchange with the gateway from Python with zeep, driven directly (no gateway code).

Run: python python_zeep.py ENDPOINT PACKAGE REFUSED_PACKAGE, with SENDER, SENDER_SECRET,
RECIPIENT and RECIPIENT_SECRET in the environment. Prints KEY=VALUE lines.
"""

import hashlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import requests
import zeep
from zeep.exceptions import Fault
from zeep.transports import Transport


def agency(endpoint: str, organ_id: str, secret: str):
    session = requests.Session()
    session.auth = (organ_id, secret)  # HTTP Basic on every request
    client = zeep.Client(endpoint + "?wsdl", transport=Transport(session=session))
    return client.create_service("{urn:edxml-gateway:soap:1}DocumentExchange", endpoint)


def items(value, name: str) -> list:
    """The ``name`` elements of a list wrapper (zeep hands a lone list child over directly)."""
    if value is None or isinstance(value, list):
        return value or []
    return list(value[name] or [])


def out(key: str, *values) -> None:
    print(f"{key}=" + "|".join("" if v is None else str(v) for v in values))


def utc(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def main(endpoint: str, package_path: str, refused_path: str) -> None:
    env = os.environ
    sender = agency(endpoint, env["SENDER"], env["SENDER_SECRET"])
    recipient = agency(endpoint, env["RECIPIENT"], env["RECIPIENT_SECRET"])

    # The sender sends a package (zeep takes and gives base64Binary as bytes).
    receipt = sender.sendDocument(package=Path(package_path).read_bytes())
    out("MESSAGE_ID", receipt.messageId)
    out("DOCUMENT_ID", receipt.documentId)
    out("RECIPIENTS", ",".join(items(receipt.recipients, "organId")))
    out("SIGNATURE", receipt.signatureState)
    out("DUPLICATE", str(receipt.duplicate).lower())

    # The recipient lists, fetches and confirms it.
    for item in items(recipient.getPendingDocuments(messageType="edoc"), "item"):
        out("PENDING", item.messageId, item["from"], item.documentId, item.size)
    document = recipient.getDocument(messageId=receipt.messageId)
    out("FETCHED_SHA256", hashlib.sha256(document.package).hexdigest())
    out("FETCHED_FROM", document["from"])
    recipient.confirmReceived(messageId=receipt.messageId)
    out("PENDING_AFTER_CONFIRM", len(items(recipient.getPendingDocuments(), "item")))

    # The recipient reports two statuses: one with staff and its own time, one without.
    staff = {"department": "Văn thư", "name": "Nguyễn Thị Bình",
             "email": "vanthu@nghean.gov.vn"}
    taken = datetime.fromisoformat("2024-05-17T09:30:00+07:00")
    recipient.updateStatus(documentId=receipt.documentId, statusCode="03",
                           description="Đã tiếp nhận", staff=staff, timestamp=taken)
    recipient.updateStatus(documentId=receipt.documentId, statusCode="05",
                           description="Đang xử lý")

    # The sender gets the statuses and reads the traces.
    for item in items(sender.getPendingDocuments(messageType="status", limit=10), "item"):
        out("STATUS_PENDING", item.statusCode, item["from"], item.documentId)
        sender.confirmReceived(messageId=item.messageId)
    for trace in items(sender.getTraces(documentId=receipt.documentId), "trace"):
        events = items(trace.statuses, "status")
        out("TRACE", trace.recipient, trace.state, "+".join(e.statusCode for e in events))
        for event in events:
            out("TRACE_STATUS", trace.recipient, event.statusCode, utc(event.timestamp),
                event.staff.name if event.staff else "")

    for organization in items(sender.getOrganizations(), "organization"):
        out("ORGANIZATION", organization.organId, organization.name,
            str(organization.active).lower())

    # A package the gateway refuses: zeep raises Fault with the faultcode as sent.
    try:
        sender.sendDocument(package=Path(refused_path).read_bytes())
        out("FAULT", "none")
    except Fault as fault:
        out("FAULT", fault.code.split(":")[-1])


if __name__ == "__main__":
    main(*sys.argv[1:4])
