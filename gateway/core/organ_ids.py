"""OrganId checks for the directory, with the edXML library's rule (written once there)."""

from __future__ import annotations

from gateway.edxml.rules import organ_id_error

from .errors import InvalidRequest

__all__ = ["check_organ_id"]


def check_organ_id(value: str | None, what: str = "OrganId") -> str:
    """Return ``value`` when it is an agency identifier; else ``InvalidRequest`` saying why."""
    error = organ_id_error(value if isinstance(value, str) else "")
    if error is not None:
        raise InvalidRequest(f"{what} {error}", rule_ids=["EDX-ORGID-001"])
    return value  # type: ignore[return-value]
