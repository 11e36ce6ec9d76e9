"""The directory of agencies: register, list, disable, enable, new secret.

Only the administrator (the CLI) calls this. A secret is returned exactly once,
when it is made; the gateway keeps only its hash and cannot show it again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.store.db import Store
from gateway.store.models import AgencyRow

from .auth import hash_secret, new_secret
from .errors import InvalidRequest, NotFound
from .organ_ids import check_organ_id
from .results import Agency

__all__ = ["Agencies", "NAME_MAX"]

NAME_MAX = 200  # OrganName's length in the standard


class Agencies:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        organ_id: str,
        name: str,
        parent: str | None = None,
        cert_pem: str | bytes | None = None,
    ) -> str:
        """Register an agency; returns its new secret (shown once, never stored)."""
        check_organ_id(organ_id, "OrganId")
        if parent is not None:
            check_organ_id(parent, "parent OrganId")
        name = _check_name(name)
        cert = _check_cert(cert_pem) if cert_pem is not None else None
        secret = new_secret()
        now = datetime.now(UTC)
        row = insert(AgencyRow).values(
            organ_id=organ_id, name=name, parent_organ_id=parent,
            secret_hash=hash_secret(secret), active=True, cert_pem=cert,
            created_at=now, secret_changed_at=now)
        try:
            self.store.transaction(lambda connection: connection.execute(row))
        except IntegrityError:
            raise InvalidRequest(
                f"agency {organ_id} is already registered; use `agency reset-secret {organ_id}`"
                " for a new secret"
            ) from None
        return secret

    def list(self) -> list[Agency]:
        with self.store.read() as connection:
            rows = connection.execute(select(AgencyRow).order_by(AgencyRow.organ_id))
            return [Agency(r.organ_id, r.name, r.parent_organ_id, r.active) for r in rows]

    def disable(self, organ_id: str) -> None:
        """The agency can no longer sign in nor be sent to; what it sent stays."""
        self._set(organ_id, active=False)

    def enable(self, organ_id: str) -> None:
        self._set(organ_id, active=True)

    def reset_secret(self, organ_id: str) -> str:
        """A new secret; the old one stops working at once."""
        secret = new_secret()
        self._set(organ_id, secret_hash=hash_secret(secret), secret_changed_at=datetime.now(UTC))
        return secret

    def _set(self, organ_id: str, **values: object) -> None:
        def work(connection: Connection) -> int:
            result = connection.execute(
                update(AgencyRow).where(AgencyRow.organ_id == organ_id).values(**values)
            )
            return result.rowcount  # type: ignore[attr-defined]

        if self.store.transaction(work) == 0:
            raise NotFound(f"agency {organ_id!r} is not registered; `agency list` shows them")


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidRequest(f"agency name must be 1 to {NAME_MAX} characters, got {len(name)}")
    return name


def _check_cert(cert_pem: str | bytes) -> str:
    """The certificate as PEM text, after checking that it is one."""
    text = cert_pem.decode("ascii", "replace") if isinstance(cert_pem, bytes) else cert_pem
    try:
        x509.load_pem_x509_certificate(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise InvalidRequest(
            f"the certificate is not a PEM X.509 certificate ({exc}); give the file with"
            " -----BEGIN CERTIFICATE-----"
        ) from None
    return text.strip() + "\n"
