"""The end-to-end benchmark (tools/bench) runs: its quick mode, on SQLite, writes its section.

The numbers themselves are not checked (they depend on the machine and its load); this
proves the command starts a real gateway, drives it, measures the floor and regenerates
its section of docs/performance.md without touching the other sections.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_benchmark_writes_its_section_and_keeps_the_others(tmp_path: Path) -> None:
    document = tmp_path / "performance.md"
    shutil.copyfile(REPO / "docs" / "performance.md", document)
    library = document.read_text(encoding="utf-8").split("## edXML library", 1)[1]
    library = library.split("\n## ", 1)[0]

    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--quick", "--no-pg", "--write", str(document)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    text = document.read_text(encoding="utf-8")
    assert library in text, "the edXML library section was changed"
    assert text.count("## Gateway end to end") == 1
    ours = text.split("## Gateway end to end", 1)[1]
    for row in (r"\| 2 KB \| 2048 \| 4 \| \d+", r"\| SQLite \| 2 KB \| .* \| [\d.]+x \|",
                r"\| SQLite \| 1,\d{3} \| 20 \|", r"null server", r"peak memory <= 2.5x"):
        assert re.search(row, ours), f"{row!r} missing from the section:\n{ours}"
    assert "python -m tools.bench --quick --no-pg" in ours
