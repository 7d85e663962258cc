"""Command ids from the device link are new after every restart and fit the protocol's CommandId."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import queue_protocol as p
from arkaden_cli.dev_broker import MosquittoBroker
from device_link.link import Link
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store

from .engine_helpers import mini_site

LONGEST_DEVICE = "k" * 32  # the site schema's longest id (queue_rules/site_parts.py: 1 + 31 characters)


def _link(device_id: str | None = None, name: str = "sim", port: int = 1) -> Link:
    return Link(mini_site(), "127.0.0.1", port, lambda _l: None, device_id=device_id, name=name,
                kind="kiosk" if device_id else None)


def test_link_ids_differ_across_restarts_and_fit_the_protocol() -> None:
    first, second = _link(LONGEST_DEVICE), _link(LONGEST_DEVICE)  # the same device, started twice
    a = [first.new_id() for _ in range(3)]
    b = [second.new_id() for _ in range(3)]
    assert len(set(a) | set(b)) == 6
    assert a[0].startswith(f"{LONGEST_DEVICE}-") and first.boot != second.boot
    pattern = re.compile(p.COMMAND_ID_PATTERN)
    tool = _link(name="a-tool-with-a-rather-long-name-for-a-tool-that-goes-on")
    for cid in [*a, *b, tool.new_id()]:
        assert len(cid) <= 64 and pattern.match(cid), cid
        p.CounterCommand(id=cid, action="next")
        p.ReceptionCommand(id=cid, action="cancel", ticket="A-001", operator="reception-1")
    tool.ids = itertools.count(10**12 - 1)  # the largest count the id leaves room for
    longest = tool.new_id()
    assert len(longest) == 64 and pattern.match(longest) and tool.boot in longest


@pytest.fixture
def core(fresh_broker: MosquittoBroker, tmp_path: Path) -> Iterator[CoreRunner]:
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    runner = CoreRunner(QueueService(mini_site(), store, always_open=True), fresh_broker.host, fresh_broker.port,
                        client_id=f"core-{tmp_path.name}")
    runner.start()
    try:
        assert runner.wait_connected(10)
        yield runner
    finally:
        runner.stop()
        store.close()


@pytest.mark.integration
def test_link_a_restarted_device_is_not_answered_with_an_earlier_commands_reply(
        fresh_broker: MosquittoBroker, core: CoreRunner) -> None:
    numbers = []
    for _ in range(2):  # the kiosk process starts, checks one client in, and stops; then again
        link = Link(mini_site(), fresh_broker.host, fresh_broker.port, lambda _l: None, device_id="kiosk-1",
                    kind="kiosk")
        link.start()
        try:
            assert link.connected.wait(10)
            reply = link.request(link.topics.checkin("kiosk-1"), p.CheckIn(id=link.new_id(), concern="residence"),
                                 p.CheckInReply, timeout=10)
            assert reply is not None and reply.ok and reply.ticket is not None
            numbers.append(reply.ticket.number)
        finally:
            link.stop()
    assert numbers == ["A-001", "A-002"]  # two check-ins, two tickets (not the first answer twice)
