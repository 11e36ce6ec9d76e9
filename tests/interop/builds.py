"""Generate each stack's client from the live WSDL and compile it: the commands of docs/clients.md.

Each ``build_*`` takes the WSDL address and an empty work folder (generated code goes there,
never into the repository) and returns the command that runs the client program.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from .toolchain import java_classpath, need, produced, run

HERE = Path(__file__).resolve().parent


def build_csharp_asmx(wsdl_url: str, work: Path) -> list[str]:
    need("wsdl", "mcs", "mono")
    run(["wsdl", "-nologo", "-namespace:EdxmlGateway", "-out:DocumentExchange.cs", wsdl_url],
        cwd=work)
    produced(work / "DocumentExchange.cs", "wsdl")
    run(["mcs", "-nologo", "-out:client.exe", "-r:System.Web.Services.dll",
         str(HERE / "csharp_asmx" / "Client.cs"), "DocumentExchange.cs"], cwd=work)
    return ["mono", str(work / "client.exe")]


def build_csharp_wcf(wsdl_url: str, work: Path) -> list[str]:
    need("svcutil", "mcs", "mono")
    run(["svcutil", "--noLogo", "--noConfig", "-o", "DocumentExchange.cs", wsdl_url], cwd=work)
    produced(work / "DocumentExchange.cs", "svcutil")
    run(["mcs", "-nologo", "-out:client.exe", "-r:System.ServiceModel.dll",
         "-r:System.Runtime.Serialization.dll", str(HERE / "csharp_wcf" / "Client.cs"),
         "DocumentExchange.cs"], cwd=work)
    return ["mono", str(work / "client.exe")]


def build_java(wsdl_url: str, work: Path) -> list[str]:
    need("wsimport", "javac", "java")
    classpath = java_classpath()
    bindings = (HERE / "java" / "bindings.xml").read_text(encoding="utf-8")
    (work / "bindings.xml").write_text(
        bindings.replace("http://localhost:8080/soap?wsdl", wsdl_url), encoding="utf-8")
    (work / "src").mkdir()
    run(["wsimport", "-quiet", "-Xnocompile", "-p", "vn.edxml.gateway", "-b", "bindings.xml",
         "-s", "src", wsdl_url], cwd=work)
    sources = sorted(str(p) for p in (work / "src").rglob("*.java"))
    run(["javac", "-encoding", "UTF-8", "-nowarn", "-cp", classpath, "-d", "classes", *sources,
         str(HERE / "java" / "Client.java")], cwd=work)
    return ["java", "-cp", f"{classpath}:{work / 'classes'}", "Client"]


def build_node(wsdl_url: str, work: Path) -> list[str]:
    need("node")
    return ["node", str(HERE / "node" / "client.js")]


def build_python_suds(wsdl_url: str, work: Path) -> list[str]:
    if importlib.util.find_spec("suds") is None:
        pytest.fail("suds is not installed: pip install -e '.[test]' (tools/test does it)")
    return [sys.executable, str(HERE / "python_suds.py")]


def build_python_zeep(wsdl_url: str, work: Path) -> list[str]:
    return [sys.executable, str(HERE / "python_zeep.py")]


BUILDS = {
    "csharp_asmx": build_csharp_asmx,
    "csharp_wcf": build_csharp_wcf,
    "java": build_java,
    "node": build_node,
    "python_suds": build_python_suds,
    "python_zeep": build_python_zeep,
}
