"""Group commit: commands waiting together share one transaction, each still answered only once it is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import queue_protocol as p
from queue_core.service import Incoming, QueueService
from queue_core.store import Store

from .engine_helpers import Clock, service_site

T = p.Topics("mini")


def checkin(cid: str, concern: str = "job") -> Incoming:
    return Incoming(T.checkin("kiosk-1"), json.dumps({"v": 1, "id": cid, "concern": concern}).encode(),
                    T.reply("kiosk-1"), cid.encode())


def answers(results: list[list[Any]]) -> list[dict[str, Any]]:
    out = []
    for pubs in results:
        [reply] = [json.loads(x.payload) for x in pubs if x.topic == T.reply("kiosk-1")]
        out.append(reply)
    return out


def test_a_burst_shares_one_commit_and_each_answer_is_its_own(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = QueueService(service_site(), store, clock=Clock(), always_open=True)
    commits = 0
    batch = store.batch

    @contextmanager
    def counted() -> Iterator[None]:
        nonlocal commits
        with batch():
            yield
        commits += 1

    monkeypatch.setattr(store, "batch", counted)
    msgs = [checkin(f"c{i}") for i in range(10)] + [checkin("c3")]   # a retry inside the burst
    replies = answers(svc.handle_batch(msgs))
    assert commits == 1
    assert [r["ticket"]["number"] for r in replies] == [f"J-{i:03d}" for i in range(1, 11)] + ["J-004"]
    assert [r["id"] for r in replies] == [m.correlation.decode() for m in msgs if m.correlation]
    assert len(list(store.events())) == 10
    again = QueueService(service_site(), store, clock=Clock(), always_open=True)   # it is stored, all of it
    assert sorted(t.number for t in again.state.tickets.values()) == [f"J-{i:03d}" for i in range(1, 11)]


def test_a_storage_failure_inside_a_burst_keeps_nothing_of_it_and_handles_each_on_its_own(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = QueueService(service_site(), store, clock=Clock(), always_open=True)
    append, calls = store.append, 0

    def flaky(*args: Any, **kwargs: Any) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise OSError("disk I/O error")
        return append(*args, **kwargs)

    monkeypatch.setattr(store, "append", flaky)
    replies = answers(svc.handle_batch([checkin(f"c{i}") for i in range(8)]))
    assert all(r["ok"] for r in replies), replies          # the retry one by one stored every one
    assert [r["ticket"]["number"] for r in replies] == [f"J-{i:03d}" for i in range(1, 9)]
    assert svc.stats["group_commit_failures"] == 1
    assert sorted(getattr(e, "number", "") for e in store.events()) == [f"J-{i:03d}" for i in range(1, 9)]


def test_a_commit_that_fails_at_the_end_answers_nothing_twice(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = QueueService(service_site(), store, clock=Clock(), always_open=True)
    batch = store.batch

    @contextmanager
    def failing() -> Iterator[None]:
        with batch():
            yield
            raise OSError("database is locked")   # the final COMMIT fails: the transaction is rolled back

    monkeypatch.setattr(store, "batch", failing)
    replies = answers(svc.handle_batch([checkin(f"c{i}") for i in range(4)]))
    assert [r["ticket"]["number"] for r in replies] == ["J-001", "J-002", "J-003", "J-004"]
    assert len(list(store.events())) == 4 and len(svc.state.tickets) == 4
    # retries of the same ids after all this: the same answers, nothing new
    assert answers(svc.handle_batch([checkin("c0"), checkin("c3")])) == [replies[0], replies[3]]
    assert len(svc.state.tickets) == 4


def test_a_failed_commit_whose_rebuild_fails_too_publishes_nothing_unstored(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = QueueService(service_site(), store, clock=Clock(), always_open=True)
    assert answers([svc.handle(checkin("c0"))])[0]["ok"]
    svc.flush_state()
    append, events = store.append, store.events

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OSError("the database went away")

    monkeypatch.setattr(store, "append", down)
    monkeypatch.setattr(store, "events", down)
    [refused] = answers([svc.handle(checkin("c1"))])
    assert refused["error"]["code"] == "storage"
    svc.mark_all_dirty()   # the broker connection comes back meanwhile: everything would be republished
    assert svc.flush_state() == [], "memory holds J-002, which the store never took"
    monkeypatch.setattr(store, "append", append)
    monkeypatch.setattr(store, "events", events)
    assert answers([svc.handle(checkin("c2"))])[0]["ticket"]["number"] == "J-002"   # rebuilt first
    queue = next(x for x in svc.flush_state() if x.topic == T.queue("jobcenter"))
    assert json.loads(queue.payload)["waiting"] == 2
    assert sorted(t.number for t in svc.state.tickets.values()) == ["J-001", "J-002"]
