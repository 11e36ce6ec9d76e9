"""What the kernel knows about a process: CPU time, resident set, its children (/proc).

psutil is not a dependency of the gateway, and /proc has everything needed on Linux.
VmHWM is the kernel's own high-water mark of the resident set, so the peak memory of
a server cannot be missed between two samples; writing 5 to clear_refs resets it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cpu_each", "cpu_seconds", "family", "named", "status_kib", "reset_peak", "peak_kib",
           "rss_kib"]

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # fields after "pid (comm) "


def family(pid: int) -> list[int]:
    """``pid`` and its descendants (a gunicorn master and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def named(command: str) -> list[int]:
    """Processes whose command name is ``command`` (e.g. PostgreSQL's ``postgres``)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == command:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def cpu_each(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each process has used so far (vanished ones left out)."""
    found = {}
    for pid in pids:
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return found


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_each(pids).values())


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(f"/proc/{pid}/status has no {field}")


def rss_kib(pids: list[int]) -> int:
    return sum(status_kib(pid, "VmRSS") for pid in pids)


def peak_kib(pids: list[int]) -> int:
    """Sum of each process's high-water mark (exact for one process, an upper bound for
    several: their peaks need not coincide)."""
    return sum(status_kib(pid, "VmHWM") for pid in pids)


def reset_peak(pids: list[int]) -> None:
    for pid in pids:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
