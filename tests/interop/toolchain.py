"""Finding the interop tools and running them; a missing tool fails the test, never skips it.

``tools/install-interop-deps`` installs everything named here: Mono (wsdl, svcutil, mcs),
JAX-WS RI (wsimport and its jars) with a JDK, and the npm ``soap`` package into a cache
folder outside the repository (``node_modules()``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL_HINT = "run tools/install-interop-deps (as root it installs what is missing)"
JAVA_DIR = Path("/usr/share/java")
JAVA_JARS = ("jaxws-api.jar", "jaxb-api.jar", "javax.xml.soap-api.jar", "jws-api.jar",
             "jaxws-rt.jar")
"""The JAX-WS runtime on Java 11+: javax.xml.soap-api.jar (not Axis's saaj.jar)."""
BUILD_TIMEOUT = 180
"""Seconds a generator or compiler may take (they take a few here)."""


def need(*tools: str) -> None:
    """Fail the test, saying how to get them, when any of ``tools`` is not on PATH."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found on PATH: {INSTALL_HINT}")


def java_classpath() -> str:
    missing = [jar for jar in JAVA_JARS if not (JAVA_DIR / jar).exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing in {JAVA_DIR}: {INSTALL_HINT}")
    return os.pathsep.join(str(JAVA_DIR / jar) for jar in JAVA_JARS)


def node_modules() -> Path:
    """Where tools/install-interop-deps put the npm packages (NODE_PATH for the client)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    path = Path(cache) / "edxml-gateway" / "node" / "node_modules"
    if not (path / "soap" / "package.json").exists():
        pytest.fail(f"the npm package soap is not in {path}: {INSTALL_HINT}")
    return path


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = BUILD_TIMEOUT) -> str:
    """Run one tool; its stdout. Fails the test with the tool's own words when it fails."""
    try:
        done = subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})},
                              capture_output=True, text=True, encoding="utf-8",
                              timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"{' '.join(command)} did not finish in {timeout} s; it printed:\n"
                    f"{_cut(_text(expired.stdout))}\n{_cut(_text(expired.stderr))}")
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n"
                    f"{_cut(done.stdout)}\n{_cut(done.stderr)}")
    return done.stdout


def produced(path: Path, command: str) -> Path:
    """``path``, which ``command`` should have written (Mono's wsdl exits 0 on errors)."""
    if not path.exists():
        pytest.fail(f"{command} did not write {path.name}")
    return path


def _cut(text: str, limit: int = 3000) -> str:
    """The start (the tool's error) and end (a trace's cause) of a long output."""
    return text if len(text) <= limit else f"{text[:limit // 2]}\n...\n{text[-limit // 2:]}"


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""
