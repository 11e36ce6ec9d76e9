"""Each stack's generated client runs the whole exchange against a real gateway, as two agencies.

G22 sends a package to H41 (HTTP Basic for both); H41 lists it, fetches identical bytes,
confirms it and reports statuses 03 (with staff and a +07:00 timestamp) and 05; G22 gets
both statuses, reads the trace and the directory; a package to an unregistered agency is
refused and the client prints the fault code. The program prints KEY=VALUE lines; this
test checks every one of them, and checks the gateway's own record with an independent client.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

import pytest
from soap.packages import G22, H41, NAMES

from gateway import edxml

from .builds import BUILDS
from .toolchain import node_modules, run

pytestmark = pytest.mark.interop

FLOW_TIMEOUT = 60
"""Seconds a client program may take for the whole flow (a few here): a hang fails fast."""
STAFF_NAME = "Nguyễn Thị Bình"
TAKEN_UTC = "2024-05-17T02:30:00Z"
"""The 03 status's timestamp, sent as 2024-05-17T09:30:00+07:00."""


def parse(output: str) -> dict[str, list[list[str]]]:
    """KEY=a|b|c lines -> {KEY: [[a, b, c], ...]} (other lines, e.g. logging, ignored)."""
    lines: dict[str, list[list[str]]] = defaultdict(list)
    for line in output.splitlines():
        key, separator, value = line.partition("=")
        if separator and key.isupper():
            lines[key].append(value.split("|"))
    return lines


def one(lines: dict[str, list[list[str]]], key: str) -> str:
    assert len(lines[key]) == 1, f"{key}: expected one line, got {lines[key]}"
    return "|".join(lines[key][0])


def run_flow(command: list[str], gateway, files, work: Path) -> dict[str, list[list[str]]]:
    env = {"SENDER": G22, "SENDER_SECRET": gateway.secrets[G22],
           "RECIPIENT": H41, "RECIPIENT_SECRET": gateway.secrets[H41]}
    if command[0] == "node":
        env["NODE_PATH"] = str(node_modules())
    output = run([*command, gateway.url, str(files.package), str(files.refused)],
                 cwd=work, env=env, timeout=FLOW_TIMEOUT)
    return parse(output)


@pytest.mark.parametrize("stack", list(BUILDS))
def test_generated_client_runs_the_whole_exchange(stack, build_client, gateway, flow_files,
                                                   tmp_path):
    command = build_client(stack)
    lines = run_flow(command, gateway, flow_files, tmp_path)

    package = flow_files.package.read_bytes()
    document_id = edxml.read(package).document_id
    message_id = one(lines, "MESSAGE_ID")
    assert message_id
    assert one(lines, "DOCUMENT_ID") == document_id
    assert one(lines, "RECIPIENTS") == H41
    assert one(lines, "SIGNATURE") == "absent"
    assert one(lines, "DUPLICATE") == "false"

    assert lines["PENDING"] == [[message_id, G22, document_id, str(len(package))]]
    assert one(lines, "FETCHED_SHA256") == hashlib.sha256(package).hexdigest()
    assert one(lines, "FETCHED_FROM") == G22
    assert one(lines, "PENDING_AFTER_CONFIRM") == "0"

    assert lines["STATUS_PENDING"] == [["03", H41, document_id], ["05", H41, document_id]]
    assert lines["TRACE"] == [[H41, "confirmed", "03+05"]]
    first, second = lines["TRACE_STATUS"]
    assert first == [H41, "03", TAKEN_UTC, STAFF_NAME]
    assert second[:2] == [H41, "05"] and second[2].endswith("Z")

    organizations = {tuple(line) for line in lines["ORGANIZATION"]}
    assert organizations == {(organ_id, name, "true") for organ_id, name in NAMES.items()}
    assert one(lines, "FAULT") == "Client.UnknownRecipient"

    traces = gateway.client(G22).service.getTraces(documentId=document_id)
    assert [(t.recipient, t.state) for t in traces] == [(H41, "confirmed")]
    assert [s.statusCode for s in traces[0].statuses.status] == ["03", "05"]
