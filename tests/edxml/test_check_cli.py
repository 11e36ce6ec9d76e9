"""`edxml-gateway check`, run as a vendor's IT support runs it, and the Checker behind it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REAL_PACKAGES, real_package_paths
from lxml import etree
from signxml import XMLSigner

from edxml.certs import Identity, make_ca, make_identity
from gateway.edxml import Signer
from gateway.edxml.checker import Checker
from gateway.edxml.namespaces import DSIG_NS, edxml

REPO = Path(__file__).resolve().parents[2]
BASE = (Path(__file__).parent / "broken" / "valid_document.edxml").read_bytes()
EDOC = "edoc_update.edxml"
LINE = re.compile(r"^(?P<file>[^:]+)(?::(?P<line>\d+))?: (?P<rule>EDX-[A-Z0-9]+-\d{3})"
                  r" (?P<msg>.+)$")


def command() -> list[str]:
    script = REPO / ".venv" / "bin" / "edxml-gateway"
    if script.exists():
        return [str(script)]
    found = shutil.which("edxml-gateway")
    return [found] if found else [sys.executable, "-m", "gateway.cli"]


def check(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command(), "check", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def vpcp() -> Identity:
    return make_identity("Văn phòng Chính phủ")


@pytest.fixture(scope="module")
def signed(vpcp: Identity) -> bytes:
    return Signer(*vpcp).sign(BASE)


# ---------------------------------------------------------------- the command


def test_real_packages_are_ok_and_the_broken_signature_is_a_note() -> None:
    names = [p.name for p in real_package_paths()]
    result = check(*names, cwd=REAL_PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.endswith(": OK")] == [f"{n}: OK" for n in names]
    [note] = [line for line in lines if ": note: " in line]
    assert note.startswith(f"{EDOC}: note: signature present but not accepted (EDX-SIG-002): ")
    count = len(names)
    assert lines[-1] == f"{count} file(s) checked: {count} valid, 0 invalid (0 problem(s))"
    assert result.stderr == ""


def test_each_problem_is_printed_as_file_line_rule_message(tmp_path: Path) -> None:
    broken = BASE.replace(b"<edXML:Priority>1<", b"<edXML:Priority>9<").replace(
        b">2024/04/15</edXML:DueDate>", b">2024/02/30</edXML:DueDate>")
    path = write(tmp_path, "broken.edxml", broken)
    empty = write(tmp_path, "empty.edxml", b"")
    result = check(path, empty)
    assert result.returncode == 1
    *problems, no_line, summary = result.stdout.splitlines()
    parsed = [LINE.match(line) for line in problems]
    assert all(parsed), problems
    assert [(m["file"], m["line"], m["rule"]) for m in parsed] == [
        (str(path), "45", "EDX-DATE-001"), (str(path), "50", "EDX-XSD-003")]
    assert no_line == f"{empty}: EDX-XML-001 package is empty; send the .edxml file's bytes"
    assert summary == "2 file(s) checked: 0 valid, 2 invalid (3 problem(s))"


def test_unreadable_files_exit_2_and_the_others_are_still_checked(tmp_path: Path) -> None:
    good = write(tmp_path, "good.edxml", BASE)
    bad = write(tmp_path, "bad.edxml", b"<nope/>")
    result = check(tmp_path / "missing.edxml", tmp_path, good, bad, good / "inside.edxml")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'missing.edxml'}: error: cannot read the file: No such file or directory",
        f"{tmp_path}: error: is a directory; give the .edxml files inside it (e.g. DIR/*.edxml)",
        f"{good / 'inside.edxml'}: error: cannot read the file: Not a directory",
    ]
    assert f"{good}: OK" in result.stdout and f"{bad}:1: EDX-XML-004" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("(1 problem(s)), 3 unreadable")


@pytest.mark.parametrize("args", [[], ["--format", "xml", "x.edxml"]],
                         ids=["no-file", "bad-format"])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = check(*args)
    assert result.returncode == 2 and "usage:" in result.stderr


def test_json_report(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.edxml", BASE.replace(b"<edXML:Priority>1<", b"<edXML:Priority>9<"))
    result = check("--format", "json", REAL_PACKAGES / EDOC, bad, tmp_path / "missing.edxml")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert (report["ok"], report["exit_status"]) == (False, 2)
    real, broken, missing = report["files"]
    assert real["ok"] and real["kind"] == "edoc" and real["problems"] == []
    assert real["signature"]["state"] == "invalid" and real["signature"]["rule_id"] == "EDX-SIG-002"
    assert broken["problems"] == [{"rule_id": "EDX-XSD-003", "line": 50,
                                   "message": "Priority '9' is not allowed; use one of 0, 1, 2,"
                                              " 3, 4"}]
    assert missing == {"file": str(tmp_path / "missing.edxml"), "ok": False,
                       "error": "cannot read the file: No such file or directory"}


def test_requiring_a_signature_refuses_every_real_package_with_its_reason() -> None:
    names = [p.name for p in real_package_paths()]
    result = check("--require-signature", *names, cwd=REAL_PACKAGES)
    assert result.returncode == 1
    found = {m["file"]: (m["line"], m["rule"]) for m in map(LINE.match, result.stdout.splitlines())
             if m}
    assert found.pop(EDOC) == ("117", "EDX-SIG-002")
    assert found == {name: (None, "EDX-SIG-001") for name in names if name != EDOC}
    assert "not in the XML-DSig namespace" in result.stdout


def test_a_signed_package_passes_when_required_and_trusted(tmp_path: Path, vpcp: Identity,
                                                           signed: bytes) -> None:
    package = write(tmp_path, "signed.edxml", signed)
    cert = write(tmp_path, "vpcp.pem", vpcp.cert_pem)
    result = check("--require-signature", "--trust", cert, package)
    assert result.returncode == 0, result.stdout
    assert f"{package}: note: signature valid, signed by CN=Văn phòng Chính phủ" in result.stdout


def test_an_unusable_trust_file_exits_2(tmp_path: Path) -> None:
    cert = write(tmp_path, "trust.pem", b"not a certificate")
    result = check("--trust", cert, write(tmp_path, "doc.edxml", BASE))
    assert result.returncode == 2 and "cannot use --trust certificate" in result.stderr


# ---------------------------------------------------------------- the Checker's signature policy


def test_an_unsigned_package_is_valid_unless_a_signature_is_required() -> None:
    assert Checker().check(BASE).ok
    [problem] = Checker(require_signature=True).check(BASE).problems
    assert problem.rule_id == "EDX-SIG-001" and "sign it" in problem.message


def test_a_tampered_signature_is_a_note_by_default_and_a_problem_when_required(
        signed: bytes) -> None:
    tampered = signed.replace("triển khai liên thông".encode(), "triển khai thử".encode())
    relaxed = Checker().check(tampered)
    assert relaxed.ok and relaxed.notes[0].startswith("signature present but not accepted"
                                                      " (EDX-SIG-002): the package was changed")
    [problem] = Checker(require_signature=True).check(tampered).problems
    assert problem.rule_id == "EDX-SIG-002" and problem.line is not None


def test_trust_pins_agency_certificates(signed: bytes) -> None:
    other = make_identity("UBND Tỉnh Nghệ An")
    [problem] = Checker(require_signature=True, trusted_certs=[other.cert_pem]).check(
        signed).problems
    assert problem.rule_id == "EDX-SIG-003"


def test_trust_accepts_certificates_issued_by_a_trusted_ca() -> None:
    root = make_ca("Test Root CA")
    agency = make_identity("UBND Tỉnh Cao Bằng", issuer=root)
    signed = Signer(*agency).sign(BASE)
    assert Checker(require_signature=True, trusted_certs=[root.cert_pem]).check(signed).ok
    stranger = make_ca("Another Root CA")
    [problem] = Checker(require_signature=True, trusted_certs=[stranger.cert_pem]).check(
        signed).problems
    assert problem.rule_id == "EDX-SIG-003"


def test_pinned_and_ca_trust_together_accept_either(vpcp: Identity, signed: bytes) -> None:
    root = make_ca("Test Root CA")
    checker = Checker(require_signature=True, trusted_certs=[root.cert_pem, vpcp.cert_pem])
    assert checker.check(signed).ok
    assert checker.check(Signer(*make_identity("UBND Tỉnh Cao Bằng", issuer=root)).sign(BASE)).ok


class _LegacySha1Signer(XMLSigner):
    """Old agency software still signs with RSA-SHA1; signxml refuses to unless told not to."""

    def check_deprecated_methods(self) -> None:
        return None


def test_sha1_signatures_need_allow_sha1(vpcp: Identity) -> None:
    root = etree.fromstring(BASE)
    header = root.find(f"{edxml('edXMLEnvelope')}/{edxml('edXMLHeader')}")
    etree.SubElement(header, f"{{{DSIG_NS}}}Signature", Id="placeholder", nsmap={"ds": DSIG_NS})
    signer = _LegacySha1Signer(signature_algorithm="rsa-sha1", digest_algorithm="sha1",
                               c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    legacy = etree.tostring(signer.sign(root, key=vpcp.key_pem, cert=vpcp.cert_pem.decode()),
                            xml_declaration=True, encoding="UTF-8")
    [problem] = Checker(require_signature=True).check(legacy).problems
    assert problem.rule_id == "EDX-SIG-004"
    assert Checker(require_signature=True, allow_sha1=True).check(legacy).ok
