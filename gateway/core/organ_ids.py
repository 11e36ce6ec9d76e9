"""OrganId checks for the directory, using the edXML library's rule (written once there)."""

from __future__ import annotations

from .errors import InvalidRequest

__all__ = ["check_organ_id"]


def check_organ_id(value: str | None, what: str = "OrganId") -> str:
    """Return ``value`` when it is a valid OrganId; else ``InvalidRequest`` saying why."""
    # TEMPORARY until gateway.edxml.rules lands (H2): replace with its OrganId rule.
    allowed = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.")
    if not value or len(value) > 35 or not set(value) <= allowed:
        raise InvalidRequest(
            f"{what} {value!r} is not a valid agency code: at most 35 characters of 0-9, A-Z"
            " and '.', like 000.00.00.G22"
        )
    return value
