"""Integration: button boxes on real pseudo-terminals, the bridge, a real Mosquitto and the queue core."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from arkaden_cli.dev_broker import MosquittoBroker
from hardware.buttons import ButtonBridge
from host_support.site_file import load_site
from queue_core.runner import CoreRunner, make_client
from queue_core.service import QueueService
from queue_core.store import Store
from queue_rules.site import Site

from .engine_helpers import MINI
from .mqtt_helpers import Device
from .pty_helpers import PtyDevice

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

BOOT = "beef01"


class PresenceWatcher:
    """Every presence message of the mini site, in order."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.seen: list[dict] = []
        self.cv = threading.Condition()
        self.client = make_client(f"test-presence-{random.randrange(1 << 30)}")
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe("arkaden/v1/mini/presence/+", qos=1)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        with self.cv:
            self.seen.append(json.loads(msg.payload))
            self.cv.notify_all()

    def wait(self, predicate, timeout: float = 15, since: int = 0) -> dict:  # type: ignore[no-untyped-def]
        with self.cv:
            assert self.cv.wait_for(lambda: any(predicate(m) for m in self.seen[since:]), timeout), self.seen[-5:]
            return next(m for m in reversed(self.seen[since:]) if predicate(m))

    def mark(self) -> int:
        with self.cv:
            return len(self.seen)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class Rig:
    site: Site
    broker: MosquittoBroker
    store: Store
    core: CoreRunner
    bridge: ButtonBridge
    box: PtyDevice  # announces box-abh-1, found by the glob
    desk: PtyDevice  # announces no known id, mapped by its configured path to box-jc-1
    kiosk: Device
    display: Device
    core_id: str

    def check_in(self, concern: str, times: int = 1) -> list[str]:
        t = self.kiosk.topics
        return [self.kiosk.request(t.checkin("kiosk-1"), {"concern": concern})["ticket"]["number"]
                for _ in range(times)]

    def calls(self, counter: str) -> list[str]:
        with self.display.cv:
            return [m["number"] for m in self.display.received[self.display.topics.call()]
                    if m["counter"] == counter and not m.get("recall")]

    def wait_call(self, counter: str, number: str) -> None:
        self.display.wait_for(self.display.topics.call(), lambda m: m["counter"] == counter and m["number"] == number)

    def start_core(self) -> None:
        self.core = CoreRunner(QueueService(self.site, self.store, always_open=True), self.broker.host,
                               self.broker.port, client_id=self.core_id)
        self.core.start()
        assert self.core.wait_connected(10), "core did not connect to the broker"


def _write_site(tmp_path: Path, desk_link: Path) -> Path:
    text = MINI.read_text(encoding="utf-8")
    text += f'\n[[button_boxes]]\nid = "box-jc-1"\ncounter = "jc-1"\npath = "{desk_link}"\n'
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def rig(fresh_broker: MosquittoBroker, tmp_path: Path) -> Iterator[Rig]:
    devdir = tmp_path / "dev"
    devdir.mkdir()
    site = load_site(_write_site(tmp_path, devdir / "usb-desk-jc1-if00"))
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    parts: list = []
    rig: Rig | None = None
    try:
        box = PtyDevice(devdir / "arkaden-box-E661A")
        parts.append(box)
        desk = PtyDevice(devdir / "usb-desk-jc1-if00")
        parts.append(desk)
        rig = Rig(site, fresh_broker, store, None, None, box, desk, None, None,  # type: ignore[arg-type]
                  core_id=f"core-{tmp_path.name}")
        rig.start_core()
        rig.kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
        rig.display = Device(fresh_broker.host, fresh_broker.port, "mini", "display-1")
        rig.bridge = ButtonBridge(site, fresh_broker.host, fresh_broker.port,
                                  patterns=[str(devdir / "arkaden-box-*")], device_id="buttons-test")
        rig.bridge.start()
        yield rig
    finally:
        if rig is not None and rig.bridge is not None:
            rig.bridge.stop()
        if rig is not None and rig.core is not None:
            rig.core.stop()
        for device in (rig.kiosk, rig.display) if rig is not None else ():
            if device is not None:
                device.close()
        for part in reversed(parts):
            part.close()
        store.close()


def hello(dev: PtyDevice, box_id: str = "box-abh-1", boot: str = BOOT) -> None:
    """Answer the bridge's WHO and wait until it shows the counter (anything but the start-up text)."""
    dev.wait_line(lambda line: line == "WHO")
    mark = dev.mark()
    dev.send(f"HELLO {box_id} 1.0 {boot}\n")
    dev.wait_line(lambda line: line.startswith("SHOW ") and line not in ("SHOW NO DATA", "SHOW OFFLINE"),
                  since=mark)


def press(dev: PtyDevice, seq: int, key: str, *, acked: bool = True) -> None:
    mark = dev.mark()
    dev.send(f"KEY {seq} {key}\n")
    if acked:
        dev.wait_line(lambda line: line == f"ACK {seq}", since=mark)


def test_buttons_presses_become_calls_and_the_box_shows_the_counter(rig: Rig) -> None:
    watcher = PresenceWatcher(rig.broker)
    try:
        rig.check_in("residence", 3)
        hello(rig.box)
        presence = watcher.wait(lambda m: m["device"] == "box-abh-1" and m["online"]
                                and m["detail"].get("port") == "connected")
        assert presence["kind"] == "button_box" and presence["detail"]["firmware"] == "1.0"
        assert presence["detail"]["counter"] == "abh-1"
        mark = rig.box.mark()
        press(rig.box, 0, "NEXT")
        rig.wait_call("abh-1", "A-001")
        rig.box.wait_line(lambda line: line == "SHOW A-001  W:2", since=mark)
        rig.box.wait_line(lambda line: line == "LED ON", since=mark)
        press(rig.box, 1, "RECALL")
        rig.display.wait_for(rig.display.topics.call(), lambda m: m["number"] == "A-001" and m["recall"])
        mark = rig.box.mark()
        press(rig.box, 2, "DONE")
        rig.box.wait_line(lambda line: line == "SHOW -----  W:2", since=mark)
        mark = rig.box.mark()
        press(rig.box, 3, "DONE")  # nobody at the counter: the core refuses, the box says why
        rig.box.wait_line(lambda line: line == "SHOW NO CLIENT", since=mark)
        mark = rig.box.mark()
        press(rig.box, 4, "PAUSE")
        rig.box.wait_line(lambda line: line == "SHOW PAUSE  W:2", since=mark)
        press(rig.box, 5, "PAUSE")  # again: resume
        mark = rig.box.mark()
        press(rig.box, 6, "NEXT")
        rig.wait_call("abh-1", "A-002")
        rig.box.wait_line(lambda line: line == "SHOW A-002  W:1", since=mark)
        press(rig.box, 7, "NOSHOW")
        assert rig.calls("abh-1") == ["A-001", "A-002"]
        assert rig.core.service.state.tickets  # the core is fine
        watcher.wait(lambda m: m["device"] == "buttons-test" and m["kind"] == "button_bridge" and m["online"])
    finally:
        watcher.close()


def test_buttons_a_repeated_seq_is_applied_once(rig: Rig) -> None:
    rig.check_in("residence", 3)
    hello(rig.box)
    rig.box.send("KEY 40 NEXT\nKEY 40 NEXT\n")  # the box re-sends before it sees the ACK
    rig.box.wait_line(lambda line: line == "ACK 40")
    press(rig.box, 40, "NEXT")  # and once more after it
    rig.wait_call("abh-1", "A-001")
    time.sleep(2)  # past the double-press guard: a late repeat must still not call anybody
    press(rig.box, 40, "NEXT")
    press(rig.box, 41, "DONE")
    assert rig.calls("abh-1") == ["A-001"]
    assert rig.bridge.totals()["duplicates"] >= 2
    waiting = [t.number for t in rig.core.service.state.tickets.values() if t.status.value == "waiting"]
    assert waiting == ["A-002", "A-003"]


def test_buttons_two_next_presses_within_the_guard_call_one_client(rig: Rig) -> None:
    rig.check_in("residence", 3)
    hello(rig.box)
    press(rig.box, 1, "NEXT")
    press(rig.box, 2, "NEXT")  # a different press, right after: the bridge's guard
    rig.wait_call("abh-1", "A-001")
    assert rig.bridge.totals()["guarded"] == 1
    time.sleep(rig.bridge.guard_s + 0.2)
    press(rig.box, 3, "NEXT")
    rig.wait_call("abh-1", "A-002")
    assert rig.calls("abh-1") == ["A-001", "A-002"]


def test_buttons_the_core_guard_alone_also_calls_one_client(rig: Rig) -> None:
    """With the bridge's guard off, the core's policy.double_press_seconds still keeps the client just called."""
    rig.check_in("residence", 3)
    rig.bridge.guard_s = 0.0  # the box's handle is made at its HELLO, with this guard
    hello(rig.box)
    assert rig.bridge.handles["box-abh-1"].guard_s == 0.0
    press(rig.box, 1, "NEXT")
    press(rig.box, 2, "NEXT")
    rig.wait_call("abh-1", "A-001")
    press(rig.box, 3, "DONE")  # a command after the second NEXT: the second NEXT has surely been decided
    assert rig.calls("abh-1") == ["A-001"]
    assert rig.bridge.totals().get("guarded", 0) == 0


def test_buttons_unplugged_mid_line_the_bridge_recovers_without_a_phantom_press(rig: Rig) -> None:
    watcher = PresenceWatcher(rig.broker)
    try:
        rig.check_in("residence", 3)
        hello(rig.box)
        press(rig.box, 1, "NEXT")
        rig.wait_call("abh-1", "A-001")
        seen = watcher.mark()
        rig.box.unplug(partial=b"KEY 2 NEX")
        watcher.wait(lambda m: m["device"] == "box-abh-1" and m["detail"].get("port") == "missing", since=seen)
        seen = watcher.mark()
        time.sleep(0.5)
        mark = rig.box.mark()
        plugged = time.monotonic()
        rig.box.plug()
        rig.box.wait_line(lambda line: line == "WHO", since=mark)
        back_after = time.monotonic() - plugged
        print(f"the bridge asked the box again {back_after * 1000:.0f} ms after it came back")
        rig.box.send(f"T\nHELLO box-abh-1 1.0 {BOOT}\n")  # the box's first bytes may be a stray tail
        rig.box.wait_line(lambda line: line == "SHOW A-001  W:2", since=mark)  # the box shows the state again
        watcher.wait(lambda m: m["device"] == "box-abh-1" and m["detail"].get("port") == "connected", since=seen)
        time.sleep(rig.bridge.guard_s)
        press(rig.box, 2, "DONE")
        assert rig.calls("abh-1") == ["A-001"]  # the half-sent NEXT did not call anybody
        # unplugged and recreated several times in a row, also right after the WHO
        for _ in range(3):
            rig.box.unplug(partial=b"KEY 3 NE")
            mark = rig.box.mark()
            rig.box.plug()
            rig.box.wait_line(lambda line: line == "WHO", since=mark)
        hello_mark = rig.box.mark()
        rig.box.send(f"HELLO box-abh-1 1.0 {BOOT}\n")
        rig.box.wait_line(lambda line: line.startswith("SHOW -----"), since=hello_mark)
        press(rig.box, 3, "NEXT")
        rig.wait_call("abh-1", "A-002")
        assert rig.calls("abh-1") == ["A-001", "A-002"]
    finally:
        watcher.close()


def test_buttons_a_flood_of_garbage_leaves_bridge_and_core_healthy(rig: Rig) -> None:
    rig.check_in("residence", 2)
    hello(rig.box)
    rng = random.Random(5)
    junk = bytearray()
    for i in range(1500):
        kind = i % 6
        if kind == 0:
            junk += bytes(rng.choice([b for b in range(256) if b != 10]) for _ in range(rng.randrange(1, 60)))
        elif kind == 1:
            junk += b"KEY 7 NEXT" + b"X" * rng.randrange(60, 400)  # over-long, with a valid start
        elif kind == 2:
            junk += f"KEY {rng.randrange(70000, 99999)} NEXT".encode()
        elif kind == 3:
            junk += f"KEY {i} SELFDESTRUCT".encode()
        elif kind == 4:
            junk += b"HELLO"
        else:
            junk += b"\x00\xff\r\x1b[2J KEY 1 NEXT"
        junk += b"\n"
    rig.box.send(bytes(junk))
    press(rig.box, 11, "NEXT")  # the box still works
    rig.wait_call("abh-1", "A-001")
    totals = rig.bridge.totals()
    assert totals["bad_line"] >= 700 and totals["over_long"] == 250 and totals["unknown_key"] == 250, totals
    assert rig.calls("abh-1") == ["A-001"]
    assert rig.check_in("job") == ["J-001"]  # the core is fine
    assert all(s.port._thread.is_alive() for s in rig.bridge.sessions.values())  # type: ignore[union-attr]


def test_buttons_a_press_before_hello_is_not_taken_and_unknown_boxes_are_ignored(rig: Rig) -> None:
    rig.check_in("residence", 2)
    rig.box.wait_line(lambda line: line == "WHO")
    mark = rig.box.mark()
    time.sleep(1.1)
    rig.box.send("KEY 1 NEXT\n")
    rig.box.wait_line(lambda line: line == "WHO", since=mark)  # asked again who it is; no ACK
    rig.box.send("HELLO box-nobody 1.0 aa\n")
    rig.box.wait_line(lambda line: line == "SHOW UNKNOWN BOX", since=mark)
    rig.box.send("KEY 2 NEXT\n")
    time.sleep(0.5)
    assert all(line != "ACK 1" for line in rig.box.lines)
    assert rig.calls("abh-1") == []
    assert rig.bridge.totals()["unknown_box"] == 1 and rig.bridge.totals()["before_hello"] >= 1


def test_buttons_a_press_before_hello_counts_from_when_it_was_first_seen(rig: Rig) -> None:
    rig.check_in("residence", 2)
    rig.bridge.give_up_s = 2.0
    rig.box.wait_line(lambda line: line == "WHO")
    rig.box.send("KEY 1 NEXT\n")  # pressed before the box said who it is: its 2 s start now
    time.sleep(2.1)
    mark = rig.box.mark()
    rig.box.send(f"HELLO box-abh-1 1.0 {BOOT}\n")
    rig.box.wait_line(lambda line: line.startswith("SHOW ") and line not in ("SHOW NO DATA", "SHOW OFFLINE"),
                      since=mark)
    press(rig.box, 1, "NEXT")  # its re-send after the HELLO: settled as not sent
    rig.box.wait_line(lambda line: line == "SHOW NOT SENT", since=mark)
    handle = rig.bridge.handles["box-abh-1"]
    assert handle.counts["expired"] == 1 and handle.counts["applied"] == 0
    press(rig.box, 2, "NEXT")
    rig.wait_call("abh-1", "A-001")
    assert handle.counts["applied"] == 1 and rig.calls("abh-1") == ["A-001"]


def test_buttons_a_box_mapped_by_its_configured_path(rig: Rig) -> None:
    rig.check_in("job", 1)
    hello(rig.desk, box_id="box-unset", boot="c0ffee")
    press(rig.desk, 1, "NEXT")
    rig.wait_call("jc-1", "J-001")
    assert rig.bridge.handles["box-jc-1"].attached
    assert rig.bridge.handles["box-jc-1"].path == str(rig.desk.link)


def test_buttons_broker_down_presses_wait_for_the_box_and_apply_once(rig: Rig) -> None:
    rig.check_in("residence", 3)
    hello(rig.box)
    mark = rig.box.mark()
    rig.broker.stop()
    rig.box.wait_line(lambda line: line == "SHOW OFFLINE", since=mark)  # the bridge noticed
    mark = rig.box.mark()
    press(rig.box, 7, "NEXT", acked=False)
    time.sleep(1.0)
    press(rig.box, 7, "NEXT", acked=False)  # the box re-sends every second
    rig.broker.start()
    assert rig.core.wait_connected(20)
    rig.display.close()  # the test display does not subscribe again after a reconnect: a new one
    rig.display = Device(rig.broker.host, rig.broker.port, "mini", "display-1")
    rig.box.wait_line(lambda line: line == "SHOW CLOSED W:3", since=mark, timeout=20)
    assert "ACK 7" not in rig.box.lines[mark:]  # nothing was taken while the broker was away
    press(rig.box, 7, "NEXT")  # the next re-send is taken
    rig.wait_call("abh-1", "A-001")
    press(rig.box, 7, "NEXT")
    press(rig.box, 8, "DONE")
    assert rig.calls("abh-1") == ["A-001"]
    assert rig.bridge.totals()["offline"] >= 2


def test_buttons_core_down_briefly_a_press_is_kept_and_applied_once_when_it_returns(rig: Rig) -> None:
    """The core back within the press's life (15 s, the firmware's give-up time): applied, once."""
    rig.check_in("residence", 3)
    hello(rig.box)
    rig.core.stop()
    mark = rig.box.mark()
    press(rig.box, 9, "NEXT", acked=False)
    time.sleep(2.5)  # the bridge sends the command again (same id) after its 2 s reply timeout
    press(rig.box, 9, "NEXT", acked=False)  # and the box re-sends it
    assert "ACK 9" not in rig.box.lines[mark:]
    rig.start_core()  # same client id and store: the commands waiting at the broker arrive
    rig.box.wait_line(lambda line: line == "ACK 9", since=mark, timeout=20)
    rig.wait_call("abh-1", "A-001")
    press(rig.box, 10, "DONE")
    assert rig.calls("abh-1") == ["A-001"]
    assert [e.type for e in rig.store.event_rows()].count("ticket_called") == 1
    assert "SHOW NOT SENT" not in rig.box.lines[mark:]


def test_buttons_core_down_past_the_deadline_a_press_never_fires(rig: Rig) -> None:
    """The box gave the press up (NOT SENT): when the core returns, nobody is called to the desk.

    Until issue 15 this test asserted the opposite: the bridge kept re-sending for as long as the core was
    away and the press called a client whenever the core came back, minutes after the box showed NOT SENT.
    """
    rig.check_in("residence", 3)
    rig.bridge.give_up_s = 2.0  # a box that gives up after 2 s (the handle is made at HELLO, with this time)
    hello(rig.box)
    rig.core.stop()
    mark = rig.box.mark()
    press(rig.box, 9, "NEXT", acked=False)
    time.sleep(1.0)
    press(rig.box, 9, "NEXT", acked=False)  # the box re-sends every second
    rig.box.wait_line(lambda line: line == "SHOW NOT SENT", since=mark, timeout=10)  # given up, as the box did
    assert "ACK 9" in rig.box.lines[mark:]  # settled: a box that still holds it stops re-sending
    time.sleep(0.5)  # past the message expiry the command carried (the broker held it for the core)
    press(rig.box, 9, "NEXT")  # a late re-send is acknowledged, not sent
    rig.start_core()
    assert rig.check_in("job") == ["J-001"]  # the core has taken what waited for it at the broker
    assert "ticket_called" not in [e.type for e in rig.store.event_rows()]
    assert rig.calls("abh-1") == []
    handle = rig.bridge.handles["box-abh-1"]
    assert handle.counts["expired"] == 1 and handle.counts["applied"] == 0
    press(rig.box, 10, "NEXT")  # the counsellor's next press works as usual
    rig.wait_call("abh-1", "A-001")
    assert rig.calls("abh-1") == ["A-001"]


def test_buttons_the_bridge_command_line_runs(tmp_path: Path, fresh_broker: MosquittoBroker) -> None:
    """`arkaden buttons` starts, finds a box by its path and stops cleanly on SIGTERM."""
    import signal
    import subprocess
    import sys

    devdir = tmp_path / "dev"
    devdir.mkdir()
    site = _write_site(tmp_path, devdir / "usb-desk-jc1-if00")
    desk = PtyDevice(devdir / "usb-desk-jc1-if00")
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "arkaden_cli", "buttons", "--site", str(site),
                             "--port", str(fresh_broker.port), "--ports", str(devdir / "none-*")],
                            cwd=repo, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(repo)})
    try:
        desk.wait_line(lambda line: line == "WHO", timeout=30)
        desk.send("HELLO box-unset 1.0 1\n")
        desk.wait_line(lambda line: line == "SHOW NO DATA")  # connected, no core running: no counter state yet
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=20)[0].decode(errors="replace")
        desk.close()
    assert proc.returncode == 0, out
    assert "box box-jc-1 (counter jc-1) found" in out
