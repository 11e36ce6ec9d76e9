"""Shared test fixtures: where the real packages are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REAL_PACKAGES = REPO / "tests" / "fixtures" / "edxml-real"


def real_package_paths() -> list[Path]:
    """The real .edxml files written by other teams' software, as they are."""
    return sorted(REAL_PACKAGES.glob("*.edxml"))


@pytest.fixture(scope="session")
def real_packages() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in real_package_paths()}
