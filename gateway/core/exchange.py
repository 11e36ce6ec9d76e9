"""The gateway's use cases, independent of any transport.

A transport (SOAP today) authenticates the caller with ``authenticate`` and then
calls one method with the caller's OrganId. Each method either returns a value
from ``results`` or raises a ``GatewayFault`` with a stable code; any other
exception is a bug or an outage, which the transport reports as Server.Internal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select

from gateway.store.db import Store
from gateway.store.models import AgencyRow

from . import ledger, mailbox
from . import traces as document_traces
from .agencies import Agencies
from .auth import AUTH_FAILED_MESSAGE, secret_matches
from .errors import AuthenticationFailed, InvalidRequest
from .intake import check_size, read_submission, sha256_of
from .results import Agency, FetchedDocument, PendingItem, Receipt, SignatureState, Staff, Trace
from .settings import Settings
from .signatures import SignaturePolicy
from .statuses import status_submissions

__all__ = ["Exchange"]

# Built once, with parameters: building a statement and its cache key cost SQLAlchemy
# twice what running it does, and every call authenticates (docs/performance.md).
_AGENCY = select(AgencyRow.organ_id, AgencyRow.secret_hash, AgencyRow.active).where(
    AgencyRow.organ_id == bindparam("organ_id")
)
_CERT = select(AgencyRow.cert_pem).where(AgencyRow.organ_id == bindparam("organ_id"))


class Exchange:
    def __init__(self, settings: Settings, *, store: Store | None = None) -> None:
        self.settings = settings
        if store is None:
            store = Store(settings.db_url, pool_size=settings.db_pool_size,
                          max_overflow=settings.db_max_overflow)
        self.store = store
        self.signatures = SignaturePolicy(settings.signature_policy,
                                          allow_sha1=settings.allow_sha1)

    def authenticate(self, organ_id: str | None, secret: str | None) -> str:
        """The caller's OrganId; one identical failure for unknown, disabled or wrong secret."""
        agency = None
        if isinstance(organ_id, str) and organ_id:
            with self.store.read() as connection:
                agency = connection.execute(_AGENCY, {"organ_id": organ_id}).first()
        stored = agency.secret_hash if agency is not None else None
        if not secret_matches(secret, stored) or agency is None or not agency.active:
            raise AuthenticationFailed(AUTH_FAILED_MESSAGE)
        return agency.organ_id

    def send_document(self, caller: str, package: bytes) -> Receipt:
        """Accept a document or status package; the identical package again is a duplicate."""
        if not isinstance(package, bytes | bytearray | memoryview):
            raise InvalidRequest("package must be the bytes of the .edxml file")
        package = bytes(package)
        check_size(package, self.settings.max_package_size)
        digest = sha256_of(package)
        with self.store.read() as connection:
            original = ledger.find_duplicate(connection, caller, digest)
            cert = connection.scalar(_CERT, {"organ_id": caller})
        if original is not None:
            return original  # before parsing: a client retrying a 20 MB upload gets a quick answer
        parsed, submission = read_submission(
            package, caller, self.settings.max_package_size, digest
        )
        # Recipients and authorization are decided in the write transaction (``record``),
        # after the signature: checking them before as well cost every good package a
        # database round and two queries to spare the rare refused one a verification.
        signature = self.signatures.check(parsed, cert)
        del parsed  # the tree is as large as the package: free it before storing
        return ledger.record(self.store, [submission], signature)[0]

    def pending_documents(
        self, caller: str, message_type: str | None = None, limit: int | None = None
    ) -> list[PendingItem]:
        return mailbox.pending(self.store, caller, message_type, limit)

    def get_document(self, caller: str, message_id: str) -> FetchedDocument:
        return mailbox.fetch(self.store, caller, message_id)

    def confirm_received(self, caller: str, message_id: str) -> None:
        mailbox.confirm(self.store, caller, message_id)

    def update_status(
        self,
        caller: str,
        document_id: str,
        status_code: str,
        *,
        description: str | None = None,
        staff: Staff | None = None,
        timestamp: datetime | None = None,
    ) -> Receipt:
        """Report a status with typed fields. A take-back (13) goes to every recipient of
        the document: one status message each, all stored together; the receipt carries
        the first message's id and lists every recipient."""
        submissions = status_submissions(
            self.store, caller, document_id, status_code,
            description=description, staff=staff, timestamp=timestamp,
        )
        receipts = ledger.record(self.store, submissions, SignatureState("absent"))
        first = receipts[0]
        if len(receipts) == 1:
            return first
        recipients = [r for receipt in receipts for r in receipt.recipients]
        return Receipt(
            message_id=first.message_id, message_type=first.message_type,
            document_id=first.document_id, received_at=first.received_at,
            recipients=recipients, signature=first.signature,
            duplicate=all(receipt.duplicate for receipt in receipts),
        )

    def traces(self, caller: str, document_id: str) -> list[Trace]:
        return document_traces.traces(self.store, caller, document_id)

    def organizations(self) -> list[Agency]:
        return Agencies(self.store).list()
