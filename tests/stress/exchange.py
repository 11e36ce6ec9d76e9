"""The stress exchange: client processes racing on gateway processes that share a database.

The plan (``build_workload``, built before anything starts): sendDocument calls across
20 agencies, of which exact resends race their original from another process, and
same-id-different-content packages come after their original (some naming only
agencies that already have it, some adding a new one). Each agency has two receiving
clients (on different nodes when there are several) that poll, fetch, answer some
documents with a status package and confirm, concurrently.

At the end (``exchange_and_check``): each recipient got each document exactly once and
byte for byte; of each original and its racing resend one was stored and the other
answered duplicate with the same receipt; every conflict was refused
(Client.DuplicateDocumentId) or delivered only to the new recipient; every status
reached the document's sender once, however many of the twins sent it.
"""

from __future__ import annotations

import multiprocessing
import pickle
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from soap.conftest import Gateway
from sqlalchemy import func, select

from gateway import edxml
from gateway.core import Agencies
from gateway.store.db import Store
from gateway.store.migrate import upgrade
from gateway.store.models import DeliveryRow, MessageRow

from .clients import ClientPlan, Receiver, Results, Send, run

__all__ = ["AGENCIES", "Workload", "build_workload", "register_agencies", "exchange_and_check"]

AGENCIES = tuple(f"000.00.00.A{n:02d}" for n in range(1, 21))
STATUS_SHARE = 6  # one delivered document in six is answered with a status


@dataclass(frozen=True)
class Original:
    job: int
    sender: str
    recipients: tuple[str, ...]
    package: bytes
    document_id: str


@dataclass(frozen=True)
class Workload:
    sends: list[Send]  # in global order
    originals: dict[int, Original]  # by job
    resends: dict[int, int]  # resend job -> original job
    conflicts: dict[int, tuple[int, tuple[str, ...]]]  # job -> (original job, its recipients)
    statuses: dict[tuple[str, str], bytes]  # (document id, recipient) -> status package


def _document(sender: str, recipients: tuple[str, ...], number: int, subject: str) -> bytes:
    return edxml.write(edxml.new_document(
        sender=edxml.Organization(sender, organ_name=f"Cơ quan {sender[-3:]}"),
        recipients=[edxml.Organization(r, organ_name=f"Cơ quan {r[-3:]}") for r in recipients],
        code_number=str(number), code_notation="STRESS", subject=subject,
        promulgation_place="Hà Nội", signer_competence="KT. GIÁM ĐỐC",
        signer_position="Phó Giám đốc", signer_name="Nguyễn Văn A",
        promulgation_date="2024/05/17",
    ))


def build_workload(calls: int, resends: int, conflicts: int, seed: int = 6) -> Workload:
    """``calls`` sends, of which ``resends`` exact resends racing their original and
    ``conflicts`` same-DocumentId packages (half adding a recipient); every package and
    status built before anything runs (unsigned, small)."""
    rng = random.Random(seed)
    originals: list[Original] = []
    for number in range(calls - resends - conflicts):
        sender = AGENCIES[number % len(AGENCIES)]
        others = [a for a in AGENCIES if a != sender]
        recipients = tuple(rng.sample(others, rng.choice((1, 2, 2, 3))))
        package = _document(sender, recipients, number, f"Công văn số {number}")
        document_id = edxml.read(edxml.parse(package)).document_id
        originals.append(Original(0, sender, recipients, package, document_id))
    order: list[tuple[str, Any]] = [("original", o) for o in originals]
    resend_of = rng.sample(range(len(originals)), resends)
    conflict_of = rng.sample(range(len(originals)), conflicts)
    for index in resend_of:  # right next to the original: another process sends it at once
        order.insert(order.index(("original", originals[index])) + 1, ("resend", index))
    for n, index in enumerate(conflict_of):  # well after it, from the same process (below)
        original = originals[index]
        recipients = original.recipients
        if n % 2:
            recipients += (rng.choice([a for a in AGENCIES
                                       if a != original.sender and a not in recipients]),)
        order.append(("conflict", (index, recipients)))
    return _numbered(order, originals, rng)


def _numbered(order: list[tuple[str, Any]], originals: list[Original],
              rng: random.Random) -> Workload:
    sends: list[Send] = []
    by_job: dict[int, Original] = {}
    job_of: dict[int, int] = {}
    resends: dict[int, int] = {}
    conflicts: dict[int, tuple[int, tuple[str, ...]]] = {}
    for job, (kind, value) in enumerate(order):
        if kind == "original":
            original = Original(job, value.sender, value.recipients, value.package,
                                value.document_id)
            by_job[job] = original
            job_of[id(value)] = job
            sends.append(Send(job, original.sender, original.package))
        elif kind == "resend":
            original = by_job[job_of[id(originals[value])]]
            resends[job] = original.job
            sends.append(Send(job, original.sender, original.package))
        else:
            index, recipients = value
            original = by_job[job_of[id(originals[index])]]
            number = int(original.document_id.rsplit(",", 1)[1].split("/")[0])
            package = _document(original.sender, recipients, number, f"Sửa lại {number}")
            conflicts[job] = (original.job, recipients)
            sends.append(Send(job, original.sender, package))
    statuses = {}
    for original in by_job.values():
        receivers = {r for j, (o, rs) in conflicts.items() if o == original.job for r in rs}
        for recipient in sorted(receivers | set(original.recipients)):
            if rng.randrange(STATUS_SHARE) == 0:
                statuses[(original.document_id, recipient)] = edxml.write(edxml.status_message(
                    "03", sender=edxml.Organization(recipient, organ_name="Cơ quan"),
                    document=edxml.read(edxml.parse(original.package)),
                    description="Đã tiếp nhận", timestamp=None))
    return Workload(sends, by_job, resends, conflicts, statuses)


def client_plans(workload: Workload, urls: tuple[str, ...], secrets: dict[str, str],
                 folder: Path, processes: int) -> list[ClientPlan]:
    """Sends dealt round-robin in global order (a resend lands in the next process, at the
    same moment as its original); a conflict goes to its original's process, after it."""
    shares: list[list[Send]] = [[] for _ in range(processes)]
    where: dict[int, int] = {}
    for position, send in enumerate(workload.sends):
        if send.job in workload.conflicts:
            process = where[workload.conflicts[send.job][0]]
        else:
            process = position % processes
        where[send.job] = process
        shares[process].append(send)
    receivers: list[list[Receiver]] = [[] for _ in range(processes)]
    for n, agency in enumerate(AGENCIES):
        answers = {d: s for (d, r), s in workload.statuses.items() if r == agency}
        for number in (0, 1):
            receivers[(2 * n + number) % processes].append(
                Receiver(agency, number, answers))
    return [ClientPlan(i, urls, secrets, shares[i], receivers[i], folder / f"client-{i}.pickle")
            for i in range(processes)]


def register_agencies(url: str) -> dict[str, str]:
    """Bring ``url`` to the newest schema and register ``AGENCIES``; their secrets."""
    upgrade(url)
    store = Store(url)
    try:
        agencies = Agencies(store)
        return {a: agencies.add(a, f"Cơ quan {a[-3:]}") for a in AGENCIES}
    finally:
        store.dispose()


def exchange_and_check(workload: Workload, nodes: list[Gateway], url: str, folder: Path,
                       processes: int, deadline: float) -> str:
    """Run ``processes`` clients against ``nodes`` until every delivery is confirmed and
    check that everything ended exactly as planned (no call failed, nothing lost or
    doubled, no internal error in a node's log); a line saying how fast it went."""
    plans = client_plans(workload, tuple(n.url for n in nodes), nodes[0].secrets, folder,
                         processes)
    started = time.monotonic()
    results = _run_clients(plans, url, deadline)
    finished = time.monotonic()
    errors = [e for r in results for e in r.errors]
    assert not errors, "\n".join(errors[:5])
    _check_sends(workload, results)
    _check_deliveries(workload, results)
    _check_statuses(workload, results)
    _check_database(url, workload)
    for node in nodes:
        assert "Server.Internal" not in node.log()
    calls = sum(r.calls for r in results)
    return (f"{calls} SOAP calls in {finished - started:.1f}s"
            f" ({calls / (finished - started):.0f}/s); {len(workload.statuses)} statuses")


def _run_clients(plans: list[ClientPlan], url: str, limit: float) -> list[Results]:
    context = multiprocessing.get_context("spawn")
    stop, senders_done = context.Event(), context.Value("i", 0)
    processes = [context.Process(target=run, args=(plan, stop, senders_done))
                 for plan in plans]
    for process in processes:
        process.start()
    deadline = time.monotonic() + limit
    store = Store(url)
    try:
        while time.monotonic() < deadline:
            if senders_done.value == len(plans) and _all_confirmed(store):
                break
            if not all(p.is_alive() for p in processes):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"the exchange did not finish in {limit:.0f}s: {senders_done.value} of"
                        f" {len(plans)} clients sent everything; {_progress(store)}")
    finally:
        stop.set()
        for process in processes:
            process.join(60)
        store.dispose()
    assert all(p.exitcode == 0 for p in processes), [p.exitcode for p in processes]
    return [pickle.loads(plan.result_path.read_bytes()) for plan in plans]


def _progress(store: Store) -> str:
    with store.read() as session:
        states = dict(session.execute(select(DeliveryRow.state, func.count())
                                      .group_by(DeliveryRow.state)).all())
    return f"deliveries by state: {states}"


def _all_confirmed(store: Store) -> bool:
    """Statuses are sent before their document is confirmed, so when nothing is left
    unconfirmed after the last send, every status has been stored and confirmed too."""
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(DeliveryRow)
                              .where(DeliveryRow.state != "confirmed")) == 0


def _check_sends(workload: Workload, results: list[Results]) -> None:
    outcomes = {job: outcome for r in results for job, outcome in r.sends.items()}
    assert len(outcomes) == len(workload.sends)
    for job, original in workload.originals.items():
        first = outcomes[job]
        assert "fault" not in first, (original.document_id, first)
    for job, original_job in workload.resends.items():
        pair = [outcomes[job], outcomes[original_job]]
        assert pair[0]["message_id"] == pair[1]["message_id"]
        assert sorted(o["duplicate"] for o in pair) == [False, True], pair
        assert sorted(pair[0]["recipients"]) == sorted(workload.originals[original_job]
                                                       .recipients)
    for job, (original_job, recipients) in workload.conflicts.items():
        named = set(workload.originals[original_job].recipients)
        outcome = outcomes[job]
        if set(recipients) == named:
            assert outcome == {"fault": "Client.DuplicateDocumentId"}, outcome
        else:
            assert outcome["recipients"] == [r for r in recipients if r not in named], outcome
            assert sorted(outcome["already_delivered"]) == sorted(named)
            assert outcome["duplicate"] is False


def _check_deliveries(workload: Workload, results: list[Results]) -> None:
    """Each recipient: each document once (one message id), byte for byte as sent."""
    sent_sha = {s.job: _sha(s.package) for s in workload.sends}
    expected: dict[tuple[str, str], str] = {}  # (recipient, document id) -> package sha
    outcomes = {job: outcome for r in results for job, outcome in r.sends.items()}
    for job, outcome in outcomes.items():
        if "fault" in outcome or outcome["duplicate"]:
            continue
        document_id = _document_id_of(workload, job)
        for recipient in outcome["recipients"]:
            assert (recipient, document_id) not in expected, "delivered twice"
            expected[(recipient, document_id)] = sent_sha[job]
    got: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for r in results:
        for agency, message_id, kind, _sender, document_id, sha in r.fetched:
            if kind == "edoc":
                got[(agency, document_id)].add((message_id, sha))
    assert set(got) == set(expected)
    for key, copies in got.items():
        assert len(copies) == 1, (key, copies)  # one message, whoever of the two fetched it
        assert next(iter(copies))[1] == expected[key]


def _check_statuses(workload: Workload, results: list[Results]) -> None:
    by_status: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        for agency, document_id, outcome in r.status_sends:
            by_status[(document_id, agency)].append(outcome)
    assert set(by_status) == set(workload.statuses)
    stored: dict[tuple[str, str], str] = {}
    for key, outcomes in by_status.items():
        assert all("fault" not in o for o in outcomes), (key, outcomes)
        assert [o["duplicate"] for o in outcomes].count(False) == 1, outcomes  # both clients
        assert len({o["message_id"] for o in outcomes}) == 1
        stored[key] = outcomes[0]["message_id"]
    sender_of = {o.document_id: o.sender for o in workload.originals.values()}
    reached: Counter[tuple[str, str, str]] = Counter()
    for r in results:
        for agency, message_id, kind, sender, document_id, sha in r.fetched:
            if kind == "status":
                assert agency == sender_of[document_id]
                assert sha == _sha(workload.statuses[(document_id, sender)])
                reached[(document_id, sender, message_id)] += 1
    assert {(d, s) for d, s, _ in reached} == set(stored)
    assert all(stored[(d, s)] == m for d, s, m in reached)


def _check_database(url: str, workload: Workload) -> None:
    store = Store(url)
    try:
        with store.read() as session:
            assert session.scalar(select(func.count()).select_from(DeliveryRow)
                                  .where(DeliveryRow.state != "confirmed")) == 0
            per_message = session.execute(
                select(DeliveryRow.message_id, func.count())
                .group_by(DeliveryRow.message_id, DeliveryRow.recipient)
                .having(func.count() > 1)).all()
            assert per_message == []
            stored = session.scalar(select(func.count()).select_from(MessageRow))
            assert stored > len(workload.sends) / 2
    finally:
        store.dispose()


def _document_id_of(workload: Workload, job: int) -> str:
    if job in workload.originals:
        return workload.originals[job].document_id
    if job in workload.resends:
        return workload.originals[workload.resends[job]].document_id
    return workload.originals[workload.conflicts[job][0]].document_id


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
