"""What each client process of the stress test does: send its share of packages while
its receivers poll, fetch, report statuses and confirm, then report what happened.

Raw SOAP over ``requests`` (one connection per call, so no keep-alive race can turn a
server's idle close into a lost request), answers read with lxml. Nothing is retried:
every call must get its answer the first time.
"""

from __future__ import annotations

import base64
import hashlib
import pickle
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from lxml import etree

TNS = "urn:edxml-gateway:soap:1"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
POLL_PAUSE = 0.3
BATCH = 20
OVERLAP = 5
"""One poll in this many, a client also takes an item its twin is taking (a deliberate race)."""


@dataclass(frozen=True)
class Send:
    """One sendDocument call of the plan."""

    job: int
    sender: str
    package: bytes


@dataclass(frozen=True)
class Receiver:
    """One of an agency's two receiving clients, with the statuses it answers with."""

    agency: str
    number: int  # 0 or 1: each takes every other item of what it sees, and sometimes more
    statuses: dict[str, bytes]  # document id -> status package answering it


@dataclass(frozen=True)
class ClientPlan:
    index: int
    urls: tuple[str, ...]
    secrets: dict[str, str]
    sends: list[Send]
    receivers: list[Receiver]
    result_path: Path


@dataclass
class Results:
    """What one client process saw; the test checks the union of all of them."""

    sends: dict[int, dict[str, Any]] = field(default_factory=dict)
    fetched: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    """(agency, message id, message type, from, document id, sha256 of the bytes)"""
    status_sends: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(agency, document id, outcome)"""
    errors: list[str] = field(default_factory=list)
    calls: int = 0


class Fault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class Soap:
    """A caller of one gateway node signed in as one agency."""

    def __init__(self, url: str, organ_id: str, secret: str, results: Results) -> None:
        self.url, self.auth, self.results = url, (organ_id, secret), results

    def call(self, operation: str, body: str = "") -> etree._Element:
        envelope = (f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><op:{operation}'
                    f' xmlns:op="{TNS}">{body}</op:{operation}></s:Body></s:Envelope>')
        response = requests.post(self.url, data=envelope.encode(), auth=self.auth, timeout=120,
                                 headers={"Content-Type": "text/xml; charset=utf-8",
                                          "Connection": "close"})
        self.results.calls += 1
        root = etree.fromstring(response.content)
        answer = root.find(f"{{{SOAP11}}}Body")[0]
        if answer.tag == f"{{{SOAP11}}}Fault":
            raise Fault(answer.findtext("faultcode").rsplit(":", 1)[-1],
                        answer.findtext("faultstring"))
        return answer

    def send(self, package: bytes) -> dict[str, Any]:
        encoded = base64.b64encode(package).decode()
        try:
            receipt = self.call("sendDocument", f"<op:package>{encoded}</op:package>")
        except Fault as fault:
            return {"fault": fault.code}
        return {
            "message_id": _text(receipt, "messageId"),
            "duplicate": _text(receipt, "duplicate") == "true",
            "recipients": _list(receipt, "recipients"),
            "already_delivered": _list(receipt, "alreadyDelivered"),
        }


def _text(element: etree._Element, name: str) -> str:
    found = element.find(f".//{{{TNS}}}{name}")
    return "" if found is None else (found.text or "")


def _list(element: etree._Element, name: str) -> list[str]:
    wrapper = element.find(f".//{{{TNS}}}{name}")
    return [] if wrapper is None else [child.text or "" for child in wrapper]


def run(plan: ClientPlan, stop: Any, senders_done: Any) -> None:
    """The body of one client process (multiprocessing target)."""
    results = Results()
    receivers = [threading.Thread(target=_guarded,
                                  args=(results, _receive, plan, r, stop, results))
                 for r in plan.receivers]
    for thread in receivers:
        thread.start()
    _guarded(results, _send_all, plan, results)
    with senders_done.get_lock():
        senders_done.value += 1
    for thread in receivers:
        thread.join()
    plan.result_path.write_bytes(pickle.dumps(results))


def _guarded(results: Results, work: Any, *args: Any) -> None:
    try:
        work(*args)
    except Exception:
        results.errors.append(traceback.format_exc())


def _send_all(plan: ClientPlan, results: Results) -> None:
    for number, send in enumerate(plan.sends):
        url = plan.urls[(plan.index + number) % len(plan.urls)]
        client = Soap(url, send.sender, plan.secrets[send.sender], results)
        results.sends[send.job] = client.send(send.package)


def _receive(plan: ClientPlan, receiver: Receiver, stop: Any, results: Results) -> None:
    url = plan.urls[receiver.number % len(plan.urls)]  # an agency's two clients: two nodes
    client = Soap(url, receiver.agency, plan.secrets[receiver.agency], results)
    polls = 0
    while not stop.is_set():
        pending = client.call("getPendingDocuments", f"<op:limit>{BATCH}</op:limit>")
        items = [_text(item, "messageId") for item in pending.findall(f".//{{{TNS}}}item")]
        if not items:
            time.sleep(POLL_PAUSE)
            continue
        polls += 1
        # The twins share the work (what one leaves, the next poll shows again) and now
        # and then both take the same item: fetches, statuses and confirmations collide.
        mine = items[receiver.number::2]
        if polls % OVERLAP == receiver.number and len(items) > 1:
            mine.append(items[1 - receiver.number])
        for message_id in mine:
            _take(client, receiver, message_id, results)


def _take(client: Soap, receiver: Receiver, message_id: str, results: Results) -> None:
    """Fetch, answer with the planned status (before confirming: then a confirmed document
    always has its status stored), confirm."""
    document = client.call("getDocument", f"<op:messageId>{message_id}</op:messageId>")
    package = base64.b64decode(_text(document, "package"))
    kind, document_id = _text(document, "messageType"), _text(document, "documentId")
    results.fetched.append((receiver.agency, message_id, kind, _text(document, "from"),
                            document_id, hashlib.sha256(package).hexdigest()))
    status = receiver.statuses.get(document_id) if kind == "edoc" else None
    if status is not None:
        results.status_sends.append((receiver.agency, document_id, client.send(status)))
    client.call("confirmReceived", f"<op:messageId>{message_id}</op:messageId>")

