"""docs/performance.md, shared by its two writers: this benchmark and tools/bench_edxml.py.

Each writer owns one ``## section``; rerunning it replaces that section and leaves the
others alone. Each section names the machine it was measured on, in the same words.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

__all__ = ["HEADER", "describe_machine", "write_section"]

HEADER = ("# Performance\n\nMeasured numbers, one section per part of the gateway; each section"
          " says how it\nwas measured and how to measure it again.\n\n")


def describe_machine(*software: str) -> str:
    """CPU, cores, load average now, OS and Python, then ``software`` ("lxml 6.2.0", ...).

    Call it before the benchmark loads the machine."""
    cpu = platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        cpu = match.group(1).strip() if match else cpu
    load = f", load average {os.getloadavg()[0]:.1f} at the start" \
        if hasattr(os, "getloadavg") else ""
    return ", ".join([f"{cpu}, {os.cpu_count()} cores{load}",
                      f"{platform.system()} {platform.release()}",
                      f"Python {platform.python_version()}", *software])


def write_section(path: Path, section: str, text: str) -> None:
    """Replace (or add) the ``## section`` of ``path`` with ``text``."""
    document = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(document):
        document = pattern.sub(lambda _: text + "\n", document, count=1).rstrip("\n") + "\n"
    else:
        document = document.rstrip("\n") + "\n\n" + text
    path.write_text(document, encoding="utf-8")
