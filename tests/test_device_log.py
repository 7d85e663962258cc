"""The device log: presence changes stored by the core (SQLite and PostgreSQL, a real broker and core), and the
downtime figures made from them (opening hours only, DST days, paper out)."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import queue_protocol as p
from arkaden_cli.dev_broker import MosquittoBroker
from device_link.link import Link
from device_link.mqtt_client import make_client
from queue_core.runner import CoreRunner
from queue_core.service import Incoming, QueueService
from queue_core.store import Store
from queue_rules.device_time import PresenceChange, device_figures, opening_spans
from queue_rules.figures import Figure
from queue_rules.site import Site, parse_site

from .engine_helpers import MINI, MORNING, Clock
from .mqtt_helpers import Device

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = date(2026, 11, 17)
MONDAY = TUESDAY - timedelta(days=1)
SUNDAY = date(2026, 11, 22)
# opening hours: the union is 08:00-13:00 and 14:00-16:00 on Tuesdays, 08:00-12:00 on Mondays, closed on Sundays
ABH_HOURS = 'mon = ["08:00-12:00"]\ntue = ["08:00-12:00"]'
JC_HOURS = 'tue = ["09:00-13:00", "14:00-16:00"]'


def site_with(abh: str = ABH_HOURS, jc: str = JC_HOURS, *, site_id: str = "mini") -> Site:
    """The mini site with opening hours ("" leaves an agency without hours: open all day), kiosk-1 with printer
    drucker-1 and kiosk-2 without a printer."""
    text = MINI.read_text(encoding="utf-8").replace('id = "mini"', f'id = "{site_id}"', 1)
    if abh:
        text = text.replace('prefix = "A"\n', f'prefix = "A"\n\n[agencies.hours]\n{abh}\n', 1)
    if jc:
        text = text.replace('prefix = "J"\n', f'prefix = "J"\n\n[agencies.hours]\n{jc}\n', 1)
    text = text.replace('[[kiosks]]\nid = "kiosk-1"\n', '[[kiosks]]\nid = "kiosk-1"\nprinter = "drucker-1"\n', 1)
    text += '\n[[kiosks]]\nid = "kiosk-2"\n\n[[printers]]\nid = "drucker-1"\nurl = "dummy://"\n'
    return parse_site(text, "mini+hours")


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=BERLIN)


def change(at: datetime, device: str = "display-1", online: bool = True, paper: str = "",
           kind: str = "display") -> PresenceChange:
    return PresenceChange(at.astimezone(UTC), device, kind, online, paper)


def figures_of(figures: list[Figure], measure: str) -> dict[tuple[str, str], int]:
    return {(f.a, f.b): f.n for f in figures if f.measure == measure}


# --- device_figures ----------------------------------------------------------------------------------


def test_device_log_counts_an_outage_only_inside_opening_hours() -> None:
    site = site_with()
    figures = device_figures(site, TUESDAY, [
        change(local(TUESDAY, 7)),
        change(local(TUESDAY, 12, 30), online=False),   # over the lunch gap: 12:30-13:00 and 14:00-14:30 count
        change(local(TUESDAY, 14, 30)),
        change(local(TUESDAY, 18), online=False),       # after closing: not counted
        change(local(TUESDAY, 19)),
    ])
    assert figures == [Figure(TUESDAY, "device_down", "display", "display-1", 60),
                       Figure(TUESDAY, "device_outages", "display", "display-1", 1)]


def test_device_log_counts_downtime_only_while_the_core_was_running_to_see_it() -> None:
    """The core logs its own start and clean stop: devices switched off with it (a night, a demo's end) are not down;
    a display that dropped while the core ran is, until the core stopped."""
    site = site_with()
    figures = device_figures(site, TUESDAY, [
        change(local(TUESDAY, 7, 30), "core", kind="core"),
        change(local(TUESDAY, 7, 40)),
        change(local(TUESDAY, 9), online=False),                      # down while the core ran: 09:00-10:00
        change(local(TUESDAY, 10), "core", online=False, kind="core"),  # the core stops (say, the demo ends)
        change(local(TUESDAY, 10, 30), "kiosk-2", online=False, kind="kiosk"),  # unseen: the core was away
    ])
    assert figures_of(figures, "device_down") == {("display", "display-1"): 60}
    assert figures_of(figures, "device_outages") == {("display", "display-1"): 1}
    assert not any(f.a == "core" for f in figures), "the core is not one of the devices counted"


def test_device_log_counts_a_device_already_down_at_the_days_start_from_midnight() -> None:
    site = site_with()
    # box went down on Monday evening after closing: Tuesday's 08:00-10:00 and the outage are Tuesday's
    # display went down on Monday during opening hours: its outage was Monday's, Tuesday has the minutes only
    figures = device_figures(site, TUESDAY, [
        change(local(MONDAY, 20), "box-abh-1", online=False, kind="button_box"),
        change(local(TUESDAY, 10), "box-abh-1", kind="button_box"),
        change(local(MONDAY, 11), "display-1", online=False),
        change(local(TUESDAY, 9, 15), "display-1"),
    ])
    assert figures_of(figures, "device_down") == {("button_box", "box-abh-1"): 120, ("display", "display-1"): 75}
    assert figures_of(figures, "device_outages") == {("button_box", "box-abh-1"): 1}
    monday = device_figures(site, MONDAY, [change(local(MONDAY, 7), "display-1"),
                                           change(local(MONDAY, 11), "display-1", online=False)])
    assert figures_of(monday, "device_outages") == {("display", "display-1"): 1}
    assert figures_of(monday, "device_down") == {("display", "display-1"): 60}


def test_device_log_counts_paper_out_for_the_kiosks_printer_while_the_kiosk_is_online() -> None:
    site = site_with()
    figures = device_figures(site, TUESDAY, [
        change(local(TUESDAY, 7), "kiosk-1", paper="ok", kind="kiosk"),
        change(local(TUESDAY, 9), "kiosk-1", paper="out", kind="kiosk"),
        change(local(TUESDAY, 9, 45), "kiosk-1", paper="ok", kind="kiosk"),
        change(local(TUESDAY, 15), "kiosk-1", paper="out", kind="kiosk"),
        change(local(TUESDAY, 15, 20), "kiosk-1", online=False, kind="kiosk"),  # its Last Will: down, not paper
        change(local(TUESDAY, 8), "kiosk-2", paper="out", kind="kiosk"),         # no printer in the site file
        change(local(TUESDAY, 8, 10, 29), "kiosk-2", paper="ok", kind="kiosk"),
    ])
    assert figures_of(figures, "paper_out") == {("printer", "drucker-1"): 65, ("printer", "kiosk-2"): 10}
    assert figures_of(figures, "device_down") == {("kiosk", "kiosk-1"): 40}
    assert figures_of(figures, "device_outages") == {("kiosk", "kiosk-1"): 1}


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_device_log_counts_a_whole_dst_day_by_its_real_length(day: date, hours: int) -> None:
    site = site_with("", "")  # no hours anywhere: open all day
    down_since_before = [change(local(day - timedelta(days=1), 12), online=False)]
    assert figures_of(device_figures(site, day, down_since_before), "device_down") == {
        ("display", "display-1"): hours * 60}
    # opening hours are wall-clock times on a DST day too: 10:00-14:00 is four hours
    sunday_open = site_with('sun = ["10:00-14:00"]', 'mon = ["08:00-12:00"]')
    assert opening_spans(sunday_open, day) == [(local(day, 10).astimezone(UTC), local(day, 14).astimezone(UTC))]
    figures = device_figures(sunday_open, day, [change(local(day, 1), online=False), change(local(day, 13))])
    assert figures_of(figures, "device_down") == {("display", "display-1"): 180}


def test_device_log_counts_nothing_on_a_closed_sunday_or_for_devices_never_seen() -> None:
    site = site_with()
    assert device_figures(site, SUNDAY, [change(local(SUNDAY, 9), online=False), change(local(SUNDAY, 17))]) == []
    assert opening_spans(site, SUNDAY) == []
    # first seen at 10:00: not counted as down before that; an always-up device makes no rows
    figures = device_figures(site, TUESDAY, [change(local(TUESDAY, 10), "display-1"),
                                             change(local(TUESDAY, 11), "display-1", online=False),
                                             change(local(TUESDAY, 8), "kiosk-2", kind="kiosk")])
    assert figures == [Figure(TUESDAY, "device_down", "display", "display-1", 240),
                       Figure(TUESDAY, "device_outages", "display", "display-1", 1)]
    # what happens at or after the next midnight belongs to the next day
    assert device_figures(site, TUESDAY, [change(local(TUESDAY + timedelta(days=1), 0), online=False)]) == []


def test_device_log_rounds_minutes_per_device_and_day() -> None:
    site = site_with()
    blips = []
    for hour, seconds in ((9, 20), (10, 20), (11, 50)):  # 90 s in all: 2 minutes; each alone would round less
        blips += [change(local(TUESDAY, hour), online=False), change(local(TUESDAY, hour, 0, seconds))]
    figures = device_figures(site, TUESDAY, [change(local(TUESDAY, 7)), *blips])
    assert figures_of(figures, "device_down") == {("display", "display-1"): 2}
    assert figures_of(figures, "device_outages") == {("display", "display-1"): 3}
    short = device_figures(site, TUESDAY, [change(local(TUESDAY, 9), online=False), change(local(TUESDAY, 9, 0, 29))])
    assert figures_of(short, "device_down") == {} and figures_of(short, "device_outages") == {("display",
                                                                                                 "display-1"): 1}


# --- the store ---------------------------------------------------------------------------------------


def test_device_log_store_returns_the_days_changes_and_each_devices_state_before(store: Store) -> None:
    t = MORNING
    rows = [(t - timedelta(days=2), "display-1", False, ""), (t - timedelta(days=1), "display-1", True, ""),
            (t - timedelta(hours=3), "kiosk-1", True, "out"), (t + timedelta(hours=1), "display-1", False, ""),
            (t + timedelta(hours=2), "kiosk-1", True, "ok"), (t + timedelta(days=1), "kiosk-1", False, "")]
    for at, device, online, paper in rows:
        store.record_presence(at=at, device=device, kind="kiosk" if device == "kiosk-1" else "display",
                              online=online, paper=paper)
    assert store.last_presence() == {"display-1": (False, ""), "kiosk-1": (False, "")}
    got = store.presence_changes(since=t, until=t + timedelta(days=1))
    assert got == [
        PresenceChange(t - timedelta(days=1), "display-1", "display", True, ""),
        PresenceChange(t - timedelta(hours=3), "kiosk-1", "kiosk", True, "out"),
        PresenceChange(t + timedelta(hours=1), "display-1", "display", False, ""),
        PresenceChange(t + timedelta(hours=2), "kiosk-1", "kiosk", True, "ok"),
    ]
    assert all(c.at.tzinfo is not None for c in got)
    assert store.presence_changes(since=t - timedelta(days=5), until=t - timedelta(days=4)) == []


def test_device_log_purge_keeps_each_devices_last_row_before_the_cut(store: Store) -> None:
    t = MORNING
    for i in range(5):
        store.record_presence(at=t + timedelta(hours=i), device="display-1", kind="display", online=i % 2 == 0,
                              paper="")
    store.record_presence(at=t, device="kiosk-1", kind="kiosk", online=True, paper="ok")
    cut = t + timedelta(hours=3)
    assert store.drop_presence_before(cut) == 2  # display-1 at 0 h and 1 h; its 2 h row and kiosk-1's stay
    assert store.drop_presence_before(cut) == 0
    left = store.presence_changes(since=t - timedelta(days=1), until=t + timedelta(days=1))
    assert [(c.device, c.at) for c in left] == [("kiosk-1", t), ("display-1", t + timedelta(hours=2)),
                                                 ("display-1", t + timedelta(hours=3)),
                                                 ("display-1", t + timedelta(hours=4))]
    # the state at the cut is still known: a report from the cut on starts right
    since_cut = store.presence_changes(since=cut, until=cut + timedelta(hours=1))
    assert [(c.device, c.online) for c in since_cut] == [("kiosk-1", True), ("display-1", True),
                                                         ("display-1", False)]


# --- the core receiving presence (service, no broker) --------------------------------------------------

T = p.Topics("mini")


def presence(device: str = "kiosk-1", kind: str = "kiosk", online: bool = True, **detail: str) -> bytes:
    stale = datetime(2020, 1, 1, tzinfo=UTC)  # the payload's own time is never used
    return p.DevicePresence(device=device, kind=kind, online=online, at=stale, detail=detail).to_bytes()


def stored(store: Store) -> list[tuple[datetime, str, str, bool, str]]:
    changes = store.presence_changes(since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime(2100, 1, 1, tzinfo=UTC))
    return [(c.at, c.device, c.kind, c.online, c.paper) for c in changes]


def test_device_log_core_writes_a_row_only_when_online_or_paper_changes(store: Store) -> None:
    clock = Clock()
    svc = QueueService(site_with(), store, clock=clock)
    t0 = clock.now
    for minutes, payload in ((0, presence(paper="ok", cover="closed")),
                             (1, presence(paper="ok", cover="open")),      # cover only: no row
                             (2, presence(paper="low", cover="open")),     # low still prints: "ok", no row
                             (3, presence(paper="out")),
                             (4, presence(paper="out")),                   # the same again (retained): no row
                             (5, presence(online=False)),                  # a Last Will: no detail
                             (6, presence("display-1", "display")),
                             (7, presence(paper="jammed"))):               # not a paper state we know: unknown
        clock.now = t0 + timedelta(minutes=minutes)
        device = json.loads(payload)["device"]
        assert svc.handle(Incoming(T.presence(device), payload)) == []
    assert stored(store) == [
        (t0, "kiosk-1", "kiosk", True, "ok"), (t0 + timedelta(minutes=3), "kiosk-1", "kiosk", True, "out"),
        (t0 + timedelta(minutes=5), "kiosk-1", "kiosk", False, ""),
        (t0 + timedelta(minutes=6), "display-1", "display", True, ""),
        (t0 + timedelta(minutes=7), "kiosk-1", "kiosk", True, "unknown"),
    ]
    assert svc.stats["presence_changes"] == 5 and svc.stats["presence_unchanged"] == 3
    assert svc.stats["received"] == 0  # presence is not a command: no refusals, no replies
    # a restarted core starts from the stored state: the retained presence it gets at subscribe adds nothing,
    # and a device it does not hear of is not made offline
    again = QueueService(site_with(), store, clock=clock)
    clock.now += timedelta(hours=1)
    again.handle(Incoming(T.presence("kiosk-1"), presence(paper="jammed")))
    assert len(stored(store)) == 5 and again.stats["presence_unchanged"] == 1


BAD_PRESENCE: list[tuple[str, bytes]] = [
    ("x", b"garbage"), ("x", b"\x00\xff"), ("x", b"{"), ("x", b"[]"), ("x", b"{}"), ("x", b'{"v": 2}'),
    ("x", json.dumps({"v": 1, "device": "x", "kind": "kiosk"}).encode()),                    # no online
    ("x", json.dumps({"v": 1, "device": "x", "kind": "kiosk", "online": "maybe"}).encode()),
    ("x", json.dumps({"v": 1, "device": "x", "kind": "kiosk", "online": True, "extra": 1}).encode()),
    ("x", json.dumps({"v": 1, "device": "x", "kind": "kiosk", "online": True, "detail": {"paper": 1}}).encode()),
    ("x", presence("kiosk-1")),                                                                # someone else's
    ("x", presence("x", "k" * 21)),                                                            # kind too long
    ("Bad Id", presence("Bad Id")),
    ("x" * 65, presence("x" * 65)),
    ("x", b"[" * 20_000),                                                                     # over 16 KiB
]


def test_device_log_core_ignores_its_own_presence_and_counts_malformed_ones(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    svc = QueueService(site_with(), store, clock=Clock())
    assert svc.handle(Incoming(T.presence("core"), presence("core", "core"))) == []
    assert svc.handle(Incoming(T.presence("core"), presence("core", "core", online=False))) == []
    assert svc.handle(Incoming(T.presence("x"), b"")) == []  # a retained presence cleared: not an error
    for device, raw in BAD_PRESENCE:
        assert svc.handle(Incoming(T.presence(device), raw)) == []
    assert stored(store) == []
    assert svc.stats["presence_malformed"] == len(BAD_PRESENCE)
    assert "garbage" not in caplog.text and "Bad Id" not in caplog.text
    # other sites' presence is not this core's business (and is refused as an unknown topic, as before)
    pubs = svc.handle(Incoming("arkaden/v1/other/presence/kiosk-1", presence()))
    assert stored(store) == [] and all(pub.topic == T.error() for pub in pubs)


def test_device_log_core_keeps_running_when_the_device_log_cannot_be_written(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = QueueService(site_with(), store, clock=Clock())

    def broken(**_kw: object) -> int:
        raise OSError("database is away")

    monkeypatch.setattr(store, "record_presence", broken)
    assert svc.handle(Incoming(T.presence("kiosk-1"), presence(paper="out"))) == []
    assert svc.stats["presence_store_errors"] == 1
    monkeypatch.undo()
    svc.handle(Incoming(T.presence("kiosk-1"), presence(paper="out")))  # retried with the next (retained) one
    assert [(d, online, paper) for _, d, _, online, paper in stored(store)] == [("kiosk-1", True, "out")]


# --- through a real broker and core --------------------------------------------------------------------


def wait_until(check: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def clear_retained(broker: MosquittoBroker, root: str) -> None:
    """Delete what this test left retained under its own site root on the shared broker."""
    topics: set[str] = set()
    got = threading.Event()
    client = make_client(f"test-clear-{uuid.uuid4().hex[:6]}")
    client.on_message = lambda _c, _u, msg: topics.add(msg.topic) if msg.retain and msg.payload else None
    client.on_subscribe = lambda *_a: got.set()
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.subscribe(f"{root}/#", qos=1)
    got.wait(5)
    time.sleep(0.3)
    for topic in sorted(topics):
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(2)
    client.disconnect()
    client.loop_stop()


def drop_uncleanly(link: Link) -> None:
    """Cut the link's TCP connection without a DISCONNECT packet, as a power cut would: the broker sends its Will."""
    link.client.loop_stop()
    sock = link.client.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def test_device_log_a_kiosks_presence_paper_and_last_will_through_the_broker(
        broker: MosquittoBroker, tmp_path: Path) -> None:
    site_id = f"devlog{uuid.uuid4().hex[:8]}"
    site = site_with(site_id=site_id)
    topics = p.Topics(site_id)
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()

    def core() -> CoreRunner:
        runner = CoreRunner(QueueService(site, store, always_open=True), broker.host, broker.port,
                            client_id=f"core-{site_id}")
        runner.start()
        assert runner.wait_connected(10), "core did not connect to the broker"
        return runner

    def rows() -> list[tuple[datetime, str, str, bool, str]]:
        return [r for r in stored(store) if r[1] != "core"]

    def own() -> list[bool]:
        """The core's own start and clean stop (when it was there to see the devices)."""
        return [r[3] for r in stored(store) if r[1] == "core"]

    runner = core()
    link = Link(site, broker.host, broker.port, lambda _line: None, device_id="kiosk-1", kind="kiosk")
    kiosk: Device | None = None
    try:
        t0 = datetime.now(UTC)
        link.start()
        assert wait_until(lambda: len(rows()) == 1), rows()
        link.set_presence_detail({"paper": "out", "cover": "closed"})
        assert wait_until(lambda: len(rows()) == 2), rows()
        link.set_presence_detail({"paper": "out", "cover": "open"})  # not a change the log keeps
        assert wait_until(lambda: runner.service.stats["presence_unchanged"] >= 1)
        dropped = datetime.now(UTC)
        drop_uncleanly(link)
        assert wait_until(lambda: len(rows()) == 3), rows()
        assert [r[1:] for r in rows()] == [("kiosk-1", "kiosk", True, ""), ("kiosk-1", "kiosk", True, "out"),
                                          ("kiosk-1", "kiosk", False, "")]
        ats = [r[0] for r in rows()]
        # the core's clock at receipt, not the Will's own time (set when the link was made, before t0)
        assert t0 <= ats[0] <= ats[1] <= dropped <= ats[2] <= datetime.now(UTC)

        # a restarted core gets the retained presence again at subscribe: no duplicate rows
        runner.stop()
        runner = core()
        assert own() == [True, False, True]
        assert wait_until(lambda: runner.service.stats["presence_unchanged"] >= 1)
        # garbage on presence/x stores nothing and the core keeps answering
        garbage = [raw for device, raw in BAD_PRESENCE if device == "x"]
        kiosk = Device(broker.host, broker.port, site_id, "kiosk-1")
        for raw in garbage:
            kiosk.client.publish(topics.presence("x"), raw, qos=1)
        assert wait_until(lambda: runner.service.stats["presence_malformed"] == len(garbage)), runner.service.stats
        reply = kiosk.request(topics.checkin("kiosk-1"), {"concern": "residence"})
        assert reply["ok"] and reply["ticket"]["number"] == "A-001"
        assert len(rows()) == 3
    finally:
        if kiosk is not None:
            kiosk.close()
        runner.stop()
        store.close()
        clear_retained(broker, topics.root)
