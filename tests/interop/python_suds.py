"""The whole exchange with the gateway from Python with suds (suds-community), no gateway code.

Run: python python_suds.py ENDPOINT PACKAGE REFUSED_PACKAGE, with SENDER, SENDER_SECRET,
RECIPIENT and RECIPIENT_SECRET in the environment. Prints KEY=VALUE lines. suds wants
base64Binary as base64 text and gives it back as text; a dateTime goes as ISO 8601 text.
"""

import base64
import hashlib
import os
import sys
from datetime import UTC

from suds import WebFault
from suds.client import Client
from suds.transport.http import HttpAuthenticated


def agency(endpoint: str, organ_id: str, secret: str) -> Client:
    # suds.transport.http.HttpAuthenticated sends Basic credentials with every request
    # (the https one waits for a 401 challenge).
    transport = HttpAuthenticated(username=organ_id, password=secret)
    return Client(endpoint + "?wsdl", location=endpoint, transport=transport, cache=None)


def items(value, name: str) -> list:
    return list(getattr(value, name, None) or []) if value else []


def out(key: str, *values) -> None:
    print(f"{key}=" + "|".join("" if v is None else str(v) for v in values))


def utc(value) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(endpoint: str, package_path: str, refused_path: str) -> None:
    env = os.environ
    sender = agency(endpoint, env["SENDER"], env["SENDER_SECRET"]).service
    recipient = agency(endpoint, env["RECIPIENT"], env["RECIPIENT_SECRET"]).service

    # The sender sends a package.
    with open(package_path, "rb") as file:
        receipt = sender.sendDocument(base64.b64encode(file.read()).decode())
    out("MESSAGE_ID", receipt.messageId)
    out("DOCUMENT_ID", receipt.documentId)
    out("RECIPIENTS", ",".join(items(receipt.recipients, "organId")))
    out("SIGNATURE", receipt.signatureState)
    out("DUPLICATE", str(receipt.duplicate).lower())

    # The recipient lists, fetches and confirms it.
    for item in items(recipient.getPendingDocuments(messageType="edoc"), "item"):
        out("PENDING", item.messageId, item["from"], item.documentId, item.size)
    document = recipient.getDocument(receipt.messageId)
    fetched = base64.b64decode(document.package)
    out("FETCHED_SHA256", hashlib.sha256(fetched).hexdigest())
    out("FETCHED_FROM", document["from"])
    recipient.confirmReceived(receipt.messageId)
    out("PENDING_AFTER_CONFIRM", len(items(recipient.getPendingDocuments(), "item")))

    # The recipient reports two statuses: one with staff and its own time, one without.
    staff = {"department": "Văn thư", "name": "Nguyễn Thị Bình",
             "email": "vanthu@nghean.gov.vn"}
    recipient.updateStatus(documentId=receipt.documentId, statusCode="03",
                           description="Đã tiếp nhận", staff=staff,
                           timestamp="2024-05-17T09:30:00+07:00")
    recipient.updateStatus(documentId=receipt.documentId, statusCode="05",
                           description="Đang xử lý")

    # The sender gets the statuses and reads the traces.
    for item in items(sender.getPendingDocuments(messageType="status", limit=10), "item"):
        out("STATUS_PENDING", item.statusCode, item["from"], item.documentId)
        sender.confirmReceived(item.messageId)
    for trace in items(sender.getTraces(receipt.documentId), "trace"):
        events = items(trace.statuses, "status")
        out("TRACE", trace.recipient, trace.state, "+".join(e.statusCode for e in events))
        for event in events:
            staff_name = getattr(event, "staff", None) and getattr(event.staff, "name", None)
            out("TRACE_STATUS", trace.recipient, event.statusCode,
                utc(getattr(event, "timestamp", None)), staff_name or "")

    for organization in items(sender.getOrganizations(), "organization"):
        out("ORGANIZATION", organization.organId, organization.name,
            str(organization.active).lower())

    # A package the gateway refuses: suds raises WebFault with the faultcode as sent.
    try:
        with open(refused_path, "rb") as file:
            sender.sendDocument(base64.b64encode(file.read()).decode())
        out("FAULT", "none")
    except WebFault as error:
        out("FAULT", error.fault.faultcode.split(":")[-1])


if __name__ == "__main__":
    main(*sys.argv[1:4])
