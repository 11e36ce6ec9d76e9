"""Packages as files: sending an outbox, receiving into an inbox, without losing or doubling.

Every step is ordered so that a process killed between any two of them leaves a state
the next run completes correctly:

* Outbox: a file is sent, then moved to ``sent/``. Killed in between, the next run sends
  it again; the gateway recognises the identical package (``duplicate``) and delivers
  nothing twice, and the file moves to ``sent/``. A refused file gets its
  ``.error.txt`` in ``failed/`` first, then moves beside it.
* Inbox: a package is written to a temporary file, flushed to disk (fsync), renamed to
  its final name (atomic: a reader never sees half a file), then a marker is recorded,
  then the message is confirmed at the gateway, then the marker is removed. Killed
  before the rename, nothing is visible and the message is still pending, so it is
  fetched again. Killed after it, the file (named by message id) or the marker is there:
  the message is only confirmed, not written twice, even if the agency's software has
  already taken the file away.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gateway.edxml import EdxmlError

from .client import GatewayClient
from .errors import (
    AuthenticationFailed,
    GatewayError,
    GatewayUnreachable,
    InternalError,
    UnexpectedResponse,
)
from .results import PendingItem, Receipt

__all__ = ["Outbox", "Inbox", "SendOutcome", "ReceiveOutcome", "send_file", "write_atomically",
           "inbox_name", "KEEP_IN_PLACE", "TEMP_PREFIX"]

TEMP_PREFIX = ".edxml-gateway-"
_TEMP_SUFFIX = ".part"
_ERROR_SUFFIX = ".error.txt"
_SKIPPED_SUFFIXES = (_TEMP_SUFFIX, ".tmp", ".partial", _ERROR_SUFFIX)
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
log = logging.getLogger("gateway.client")


def _fsync_directory(path: Path) -> None:
    """Make a rename or new file in ``path`` durable (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` so that it is either absent or complete, even after a crash.

    The temporary file is hidden and ends in ``.part``, in the same directory (a rename
    is atomic only within one file system), and is created with the process's umask.
    """
    temp = target.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}{_TEMP_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(target.parent)


def _free_name(directory: Path, name: str, tag: str) -> Path:
    """``directory/name``, or with ``tag`` (then a counter) before the suffix if taken."""
    target = directory / name
    if not target.exists():
        return target
    stem, dot, suffix = name.partition(".")
    for number in range(1, 10_000):
        label = tag if number == 1 else f"{tag}-{number}"
        target = directory / f"{stem}.{label}{dot}{suffix}"
        if not target.exists():
            return target
    raise FileExistsError(f"no free name for {name} in {directory}")


@dataclass(frozen=True)
class SendOutcome:
    """What became of one file: a receipt (sent or duplicate), or the error that refused it."""

    path: Path
    receipt: Receipt | None = None
    error: Exception | None = None

    @property
    def kind(self) -> str:
        """``sent``, ``duplicate`` or ``refused``."""
        if self.receipt is None:
            return "refused"
        return "duplicate" if self.receipt.duplicate else "sent"

    @property
    def reason(self) -> str:
        """Why it was refused, in the gateway's words (empty when it was not)."""
        if self.error is None:
            return ""
        if isinstance(self.error, OSError):
            return f"cannot read the file: {self.error.strerror or self.error}"
        if isinstance(self.error, GatewayError):
            return str(self.error)
        return f"{type(self.error).__name__}: {self.error}"


class Outbox:
    """A drop folder: files put in it are sent, then moved to ``sent/`` or ``failed/``.

    A file is picked up once it is ``settle`` seconds old, so one still being written by
    the agency's software is not sent half-written. Hidden files and ``.part``/``.tmp``
    files are ignored: software that writes to a temporary name and renames is safest.
    """

    def __init__(self, path: str | os.PathLike, *, settle: float = 2.0) -> None:
        self.path = Path(path)
        self.settle = settle
        self.sent_dir = self.path / "sent"
        self.failed_dir = self.path / "failed"

    def prepare(self) -> None:
        """Create the folders if missing."""
        for directory in (self.path, self.sent_dir, self.failed_dir):
            directory.mkdir(parents=True, exist_ok=True)

    def waiting(self) -> list[Path]:
        """Files ready to send, oldest first."""
        ready_before = time.time() - self.settle
        found = []
        for entry in os.scandir(self.path):
            if entry.name.startswith(".") or entry.name.endswith(_SKIPPED_SUFFIXES):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file() and entry.stat().st_mtime <= ready_before:
                    found.append((entry.stat().st_mtime, entry.name))
        return [self.path / name for _, name in sorted(found)]

    def mark_sent(self, path: Path, receipt: Receipt) -> Path:
        """Move a sent file to ``sent/`` (tagged with its message id if the name is taken)."""
        target = _free_name(self.sent_dir, path.name, _SAFE.sub("_", receipt.message_id))
        return self._move(path, target)

    def mark_failed(self, path: Path, outcome: SendOutcome) -> Path:
        """Write why beside the file in ``failed/``, then move the file there."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = _free_name(self.failed_dir, path.name, stamp)
        explanation = (
            f"file: {path.name}\n"
            f"refused at: {datetime.now(UTC).isoformat(timespec='seconds')}\n"
            f"reason: {outcome.reason}\n"
            "what to do: correct the package (or ask the gateway's operator about the"
            " reason), then put it back into the outbox; it is not sent again by itself.\n"
        )
        write_atomically(target.with_name(target.name + _ERROR_SUFFIX),
                         explanation.encode("utf-8"))
        return self._move(path, target)

    def _move(self, path: Path, target: Path) -> Path:
        os.replace(path, target)
        _fsync_directory(target.parent)
        _fsync_directory(path.parent)
        return target


KEEP_IN_PLACE = (AuthenticationFailed, GatewayUnreachable, InternalError, UnexpectedResponse)
"""Errors about the connection or the gateway, not the package: the file stays to be retried."""


def send_file(client: GatewayClient, path: Path) -> SendOutcome:
    """Send one file; a refusal (fault or unreadable file) is an outcome, not an exception.

    Errors that concern the connection rather than the package (unreachable, wrong
    credentials, the gateway failing) propagate: the file must stay where it is.
    """
    try:
        return SendOutcome(path, receipt=client.send(path))
    except KEEP_IN_PLACE:
        raise
    except (GatewayError, EdxmlError, OSError) as error:
        return SendOutcome(path, error=error)


def inbox_name(item: PendingItem) -> str:
    """``<message id>.<edoc|status>.edxml``, made safe as a file name."""
    message_id = _SAFE.sub("_", item.message_id).lstrip(".") or "message"
    return f"{message_id}.{_SAFE.sub('_', item.message_type)}.edxml"


@dataclass(frozen=True)
class ReceiveOutcome:
    """Where a message went: ``written`` now, or ``present`` from an earlier run."""

    item: PendingItem
    path: Path
    state: str
    confirmed: bool


class Inbox:
    """A folder receiving pending messages as files named by message id and type."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.markers = self.path / ".edxml-gateway" / "confirming"

    def prepare(self) -> None:
        """Create the folders; delete temporary files a killed run left behind."""
        self.markers.mkdir(parents=True, exist_ok=True)
        for leftover in self.path.glob(f"{TEMP_PREFIX}*{_TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def receive(self, client: GatewayClient, item: PendingItem, *,
                confirm: bool) -> ReceiveOutcome:
        """Write ``item``'s package here unless already done, then confirm it if asked."""
        target = self.path / inbox_name(item)
        marker = self.markers / inbox_name(item)
        if target.exists() or (confirm and marker.exists()):
            state = "present"
        else:
            write_atomically(target, client.fetch(item.message_id).package)
            state = "written"
        if confirm:
            self._confirm(client, item, marker)
        return ReceiveOutcome(item, target, state, confirm)

    def _confirm(self, client: GatewayClient, item: PendingItem, marker: Path) -> None:
        if not marker.exists():
            marker.touch()
            _fsync_directory(marker.parent)
        client.confirm(item.message_id)
        marker.unlink(missing_ok=True)
