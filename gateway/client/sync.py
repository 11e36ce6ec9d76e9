"""The drop-folder agent: for agencies whose software can only write and read files.

Each cycle sends what waits in the outbox, then receives what waits at the gateway into
the inbox (see ``folders`` for why neither loses nor doubles a document when the process
is killed at any point). It logs one line per action and stops between two actions
when told to (SIGTERM), also while waiting to retry a lost connection.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from .client import GatewayClient
from .errors import AuthenticationFailed, GatewayUnreachable, NotFound
from .folders import KEEP_IN_PLACE, Inbox, Outbox, SendOutcome, send_file

__all__ = ["SyncAgent", "CycleReport", "Stopping", "stoppable_sleep"]

PAGE = 100
log = logging.getLogger("gateway.client.sync")


class Stopping(Exception):
    """Raised inside a cycle when the agent was told to stop while it waited."""


def stoppable_sleep(stop: threading.Event):
    """A ``RetryPolicy.sleep`` that gives up waiting (raising ``Stopping``) on ``stop``."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise Stopping()

    return sleep


@dataclass
class CycleReport:
    """What one cycle did; ``unreachable`` when it ended early for lack of a gateway."""

    sent: int = 0
    duplicate: int = 0
    failed: int = 0
    kept: int = 0
    received: int = 0
    unreachable: bool = False
    stopped: bool = False
    failures: list[SendOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.kept or self.unreachable or self.stopped)


class SyncAgent:
    """Sends ``outbox`` and fills ``inbox`` through ``client``, cycle after cycle."""

    def __init__(self, client: GatewayClient, outbox: Outbox, inbox: Inbox,
                 stop: threading.Event | None = None) -> None:
        self.client = client
        self.outbox = outbox
        self.inbox = inbox
        self.stop = stop or threading.Event()

    def run(self, interval: float) -> None:
        """Cycle every ``interval`` seconds until ``stop`` is set.

        Raises ``AuthenticationFailed``: with the wrong secret nothing can succeed, and a
        service manager should show the agent as failed rather than retrying forever.
        """
        self._prepare()
        while not self.stop.is_set():
            if self.cycle().stopped:
                break
            self.stop.wait(interval)
        log.info("stopped")

    def run_once(self) -> CycleReport:
        """One cycle."""
        self._prepare()
        return self.cycle()

    def _prepare(self) -> None:
        self.outbox.prepare()
        self.inbox.prepare()
        log.info("agent for %s at %s: outbox %s, inbox %s", self.client.organ_id,
                 self.client.url, self.outbox.path, self.inbox.path)

    def cycle(self) -> CycleReport:
        """Send the outbox, then receive; a lost gateway or a stop ends the cycle early."""
        report = CycleReport()
        try:
            self._send_outbox(report)
            self._receive(report)
        except Stopping:
            report.stopped = True
        except GatewayUnreachable as error:
            log.warning("gateway unreachable, will try again: %s", error.message)
            report.unreachable = True
        return report

    def _send_outbox(self, report: CycleReport) -> None:
        for path in self.outbox.waiting():
            if self.stop.is_set():
                raise Stopping()
            try:
                outcome = send_file(self.client, path)
            except (AuthenticationFailed, GatewayUnreachable):
                raise
            except KEEP_IN_PLACE as error:
                log.error("%s not sent, kept in the outbox to retry: %s", path.name, error)
                report.kept += 1
                continue
            self._settle(path, outcome, report)

    def _settle(self, path, outcome: SendOutcome, report: CycleReport) -> None:
        receipt = outcome.receipt
        if receipt is None:
            self.outbox.mark_failed(path, outcome)
            log.error("refused %s, moved to failed/: %s", path.name, outcome.reason)
            report.failed += 1
            report.failures.append(outcome)
            return
        self.outbox.mark_sent(path, receipt)
        if receipt.duplicate:
            log.info("%s had been sent before as message %s (duplicate, nothing delivered"
                     " twice); moved to sent/", path.name, receipt.message_id)
            report.duplicate += 1
        else:
            log.info("sent %s as message %s (%s) to %s; moved to sent/", path.name,
                     receipt.message_id, receipt.document_id, ", ".join(receipt.recipients))
            report.sent += 1

    def _receive(self, report: CycleReport) -> None:
        while not self.stop.is_set():
            items = self.client.pending(limit=PAGE)
            done = 0
            for item in items:
                if self.stop.is_set():
                    raise Stopping()
                try:
                    outcome = self.inbox.receive(self.client, item, confirm=True)
                except NotFound:
                    log.warning("message %s is no longer pending (confirmed elsewhere?)",
                                item.message_id)
                    continue
                done += 1
                report.received += 1
                what = "received" if outcome.state == "written" else "already in the inbox:"
                log.info("%s %s %s from %s (%s) as %s; confirmed", what, item.message_type,
                         item.message_id, item.from_organ_id, item.document_id,
                         outcome.path.name)
            if len(items) < PAGE or done == 0:
                return

