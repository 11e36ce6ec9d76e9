"""From what zeep hands back to the client's results and exceptions, in one place.

zeep returns its own objects, flattens a wrapper that holds one repeated element into a
plain list in some places but not others, and gives ``None`` for an empty wrapper; dates
carry ``isodate``'s UTC zone. Everything is normalised here so callers see lists, plain
``datetime.UTC`` datetimes and the result dataclasses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lxml import etree
from zeep.exceptions import Fault
from zeep.helpers import serialize_object

from . import results
from .errors import GatewayError, error_for

__all__ = [
    "TNS",
    "plain",
    "receipt",
    "pending_item",
    "fetched_message",
    "trace",
    "agency",
    "staff_argument",
    "error_from_fault",
]

TNS = "urn:edxml-gateway:soap:1"
_DETAIL = f"{{{TNS}}}fault"


def plain(value: Any) -> Any:
    """A zeep result as dicts and lists."""
    return serialize_object(value, dict)


def items(value: Any, name: str) -> list[Any]:
    """The members of a list wrapper, however zeep shaped it (None, list, or {name: [...]})."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = value.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # the gateway always sends a zone; be lenient anyway
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def receipt(value: Any) -> results.Receipt:
    data = plain(value)
    return results.Receipt(
        message_id=data["messageId"],
        message_type=data["messageType"],
        document_id=data["documentId"],
        received_at=_utc(data["receivedAt"]),
        recipients=items(data.get("recipients"), "organId"),
        already_delivered=items(data.get("alreadyDelivered"), "organId"),
        signature=results.SignatureState(data["signatureState"], data.get("signerSubject")),
        duplicate=bool(data["duplicate"]),
    )


def pending_item(data: dict[str, Any]) -> results.PendingItem:
    return results.PendingItem(
        message_id=data["messageId"],
        message_type=data["messageType"],
        from_organ_id=data["from"],
        document_id=data["documentId"],
        received_at=_utc(data["receivedAt"]),
        size=int(data["size"]),
        subject=data.get("subject"),
        status_code=data.get("statusCode"),
    )


def fetched_message(value: Any) -> results.FetchedMessage:
    data = plain(value)
    return results.FetchedMessage(
        message_id=data["messageId"],
        message_type=data["messageType"],
        from_organ_id=data["from"],
        document_id=data["documentId"],
        received_at=_utc(data["receivedAt"]),
        package=data["package"],
    )


def _staff(data: dict[str, Any] | None) -> results.Staff | None:
    if not data:
        return None
    return results.Staff(department=data.get("department"), name=data.get("name"),
                         email=data.get("email"), mobile=data.get("mobile"))


def _status_event(data: dict[str, Any]) -> results.StatusEvent:
    return results.StatusEvent(
        status_code=data["statusCode"],
        timestamp=_utc(data.get("timestamp")),
        received_at=_utc(data["receivedAt"]),
        description=data.get("description"),
        staff=_staff(data.get("staff")),
    )


def trace(data: dict[str, Any]) -> results.Trace:
    return results.Trace(
        recipient=data["recipient"],
        state=data["state"],
        delivered_at=_utc(data["deliveredAt"]),
        fetched_at=_utc(data.get("fetchedAt")),
        confirmed_at=_utc(data.get("confirmedAt")),
        statuses=[_status_event(event) for event in items(data.get("statuses"), "status")],
    )


def agency(data: dict[str, Any]) -> results.Agency:
    return results.Agency(organ_id=data["organId"], name=data["name"],
                          parent_organ_id=data.get("parentOrganId"),
                          active=bool(data["active"]))


def staff_argument(staff: results.Staff | dict[str, str | None] | None) -> dict | None:
    """The ``staff`` argument of updateStatus, leaving out the parts not given."""
    if staff is None:
        return None
    if isinstance(staff, results.Staff):
        staff = {"department": staff.department, "name": staff.name, "email": staff.email,
                 "mobile": staff.mobile}
    unknown = set(staff) - {"department", "name", "email", "mobile"}
    if unknown:
        raise ValueError(f"staff has unknown parts {sorted(unknown)}; use department, name,"
                         " email and mobile")
    return {key: value for key, value in staff.items() if value is not None}


def error_from_fault(fault: Fault) -> GatewayError:
    """The exception for a SOAP fault: the code from the detail (else faultcode), rule ids."""
    detail = fault.detail.find(_DETAIL) if isinstance(fault.detail, etree._Element) else None
    code = detail.findtext(f"{{{TNS}}}code") if detail is not None else None
    if not code:
        code = (fault.code or "Server").split(":", 1)[-1]
    rule_ids: list[str] = []
    correlation_id = None
    if detail is not None:
        rule_ids = [rule.text or "" for rule in detail.iter(f"{{{TNS}}}ruleId")]
        correlation_id = detail.findtext(f"{{{TNS}}}correlationId")
    message = fault.message or code
    return error_for(code, message, rule_ids=rule_ids, correlation_id=correlation_id)
