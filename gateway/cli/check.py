"""`edxml-gateway check FILE...`: check packages before sending them, as the hub would.

Exit status: 0 every file is valid, 1 some file is invalid, 2 a usage error or a
file that cannot be read (missing, a directory, no permission).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from gateway.edxml.checker import Checker, CheckResult

__all__ = ["register", "run"]

VALID, INVALID, UNUSABLE = 0, 1, 2


def register(commands: argparse._SubParsersAction) -> None:
    """Add this command to the CLI; the command function returns the exit status."""
    parser = commands.add_parser(
        "check",
        help="check .edxml packages against the standard (XSD, rules, signature)",
        description="Check edXML packages the way the gateway does. Prints OK or each problem"
        " as FILE:LINE: RULE-ID message. Exit status 0 all valid, 1 some invalid, 2 usage"
        " error or unreadable file.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help=".edxml package(s) to check")
    parser.add_argument("--require-signature", action="store_true",
                        help="refuse packages without a valid XML signature")
    parser.add_argument("--trust", action="append", default=[], metavar="CERT.pem",
                        help="trust signers with this certificate, or issued by this CA"
                        " certificate (repeatable)")
    parser.add_argument("--allow-sha1", action="store_true",
                        help="accept legacy RSA-SHA1 signatures")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        checker = Checker(require_signature=args.require_signature,
                          trusted_certs=[Path(path).read_bytes() for path in args.trust],
                          allow_sha1=args.allow_sha1)
    except (OSError, ValueError) as exc:
        print(f"edxml-gateway check: cannot use --trust certificate: {exc}", file=err)
        return UNUSABLE
    results = [(path, _check_file(checker, Path(path))) for path in args.files]
    if args.format == "json":
        json.dump(_json_report(results), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        for path, result in results:
            _print_text(path, result, out, err)
        print(_summary(results), file=out)
    return max((_status(result) for _, result in results), default=VALID)


def _check_file(checker: Checker, path: Path) -> CheckResult | str:
    """The result, or why the file cannot be read (a string)."""
    if path.is_dir():
        return "is a directory; give the .edxml files inside it (e.g. DIR/*.edxml)"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    return checker.check(data)


def _status(result: CheckResult | str) -> int:
    if isinstance(result, str):
        return UNUSABLE
    return VALID if result.ok else INVALID


def _print_text(path: str, result: CheckResult | str, out: TextIO, err: TextIO) -> None:
    if isinstance(result, str):
        print(f"{path}: error: {result}", file=err)
        return
    if result.ok:
        print(f"{path}: OK", file=out)
    for problem in result.problems:
        where = f"{path}:{problem.line}" if problem.line else path
        print(f"{where}: {problem.rule_id} {problem.message}", file=out)
    for note in result.notes:
        print(f"{path}: note: {note}", file=out)


def _summary(results: list[tuple[str, CheckResult | str]]) -> str:
    statuses = [_status(result) for _, result in results]
    problems = sum(len(r.problems) for _, r in results if not isinstance(r, str))
    text = (f"{len(results)} file(s) checked: {statuses.count(VALID)} valid,"
            f" {statuses.count(INVALID)} invalid ({problems} problem(s))")
    unreadable = statuses.count(UNUSABLE)
    return text + (f", {unreadable} unreadable" if unreadable else "")


def _json_report(results: list[tuple[str, CheckResult | str]]) -> dict[str, Any]:
    files = []
    for path, result in results:
        if isinstance(result, str):
            files.append({"file": path, "ok": False, "error": result})
        else:
            files.append({"file": path, **result.as_dict()})
    statuses = [_status(result) for _, result in results]
    return {
        "ok": all(status == VALID for status in statuses),
        "exit_status": max(statuses, default=VALID),
        "summary": _summary(results),
        "files": files,
    }
