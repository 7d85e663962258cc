"""A journey end to end: an agency's .ics import, the invitation letter's QR code scanned at the real kiosk under
Xvfb, one number called to three rooms through a real Mosquitto and the real core, a note that follows the
client and is gone when the visit closes; then the late, no-show, referral and next-day variants."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import queue_protocol as p
from arkaden_cli.dev_broker import MosquittoBroker
from device_link.link import Link
from host_support.site_file import load_site
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store
from queue_rules import codes

from .conftest import XServer

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "sites" / "kia-aachen-arkaden.toml"
START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 10:00 in Aachen, a Wednesday
NOTE = "Aufenthaltstitel ausgehändigt; Zeugnisse aus Damaskus liegen im Original vor"

pytestmark = pytest.mark.slow

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//StädteRegion Aachen//Termine A 33//DE
BEGIN:VEVENT
UID:e2e-1@auslaenderamt
DTSTAMP:20261125T120000Z
DTSTART:20261202T090000Z
DURATION:PT15M
RELATED-TO:journey-e2e-main
X-ARKADEN-SERVICE:aufenthaltstitel
X-ARKADEN-LANGUAGE:ar
X-ARKADEN-PARTY-SIZE:2
X-ARKADEN-INTERPRETER:yes
SUMMARY:Termin Familie H.
END:VEVENT
BEGIN:VEVENT
UID:e2e-2@anerkennung
DTSTAMP:20261125T120000Z
DTSTART:20261202T091000Z
DURATION:PT40M
RELATED-TO:journey-e2e-main
X-ARKADEN-SERVICE:anerkennung
X-ARKADEN-LANGUAGE:ar
END:VEVENT
BEGIN:VEVENT
UID:e2e-3@jobcenter
DTSTAMP:20261125T120000Z
DTSTART:20261202T091200Z
DURATION:PT20M
RELATED-TO:journey-e2e-main
X-ARKADEN-SERVICE:jobcenter
X-ARKADEN-LANGUAGE:ar
END:VEVENT
BEGIN:VEVENT
UID:e2e-late@auslaenderamt
DTSTAMP:20261125T120000Z
DTSTART:20261202T080000Z
DURATION:PT15M
X-ARKADEN-SERVICE:aufenthaltstitel
X-ARKADEN-LANGUAGE:de
END:VEVENT
BEGIN:VEVENT
UID:e2e-ns-1@jobcenter
DTSTAMP:20261125T120000Z
DTSTART:20261202T090000Z
DURATION:PT20M
RELATED-TO:journey-e2e-noshow
X-ARKADEN-SERVICE:jobcenter
END:VEVENT
BEGIN:VEVENT
UID:e2e-ns-2@anerkennung
DTSTAMP:20261125T120000Z
DTSTART:20261202T100000Z
DURATION:PT40M
RELATED-TO:journey-e2e-noshow
X-ARKADEN-SERVICE:anerkennung
END:VEVENT
END:VCALENDAR
"""


class ShiftedClock:
    """Real time passing from a chosen start; `jump` moves it (to the next morning)."""

    def __init__(self, start: datetime):
        self.offset = start - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def jump(self, delta: timedelta) -> None:
        self.offset += delta


def arkaden(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "arkaden_cli", *args], capture_output=True, text=True, cwd=REPO)


@pytest.fixture
def centre(fresh_broker: MosquittoBroker, tmp_path: Path) -> Iterator[tuple[str, CoreRunner, ShiftedClock]]:
    db = f"sqlite:///{tmp_path / 'core.db'}"
    ics = tmp_path / "termine.ics"
    ics.write_text(ICS, encoding="utf-8")
    r = arkaden("bookings", "import", "--site", str(SITE), "--db-url", db, str(ics))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "6 added" in r.stdout, r.stdout
    again = arkaden("bookings", "import", "--site", str(SITE), "--db-url", db, str(ics))
    assert again.returncode == 0 and "6 unchanged" in again.stdout, again.stdout  # re-import: nothing changes
    clock = ShiftedClock(START)
    store = Store(db)
    runner = CoreRunner(QueueService(load_site(SITE), store, clock=clock), fresh_broker.host, fresh_broker.port,
                        client_id=f"core-{tmp_path.name}")
    runner.start()
    assert runner.wait_connected(10)
    yield db, runner, clock
    runner.stop()
    store.close()


def _code_of(db: str, first_service: str, journey_stops: int) -> str:
    store = Store(db)
    try:
        site = load_site(SITE)
        found = [j for j in store.journeys_on(START.date(), site.tz)
                 if j.stops[0].service == first_service and len(j.stops) == journey_stops]
    finally:
        store.close()
    assert len(found) == 1
    return found[0].code


def _letter_qr(code: str, db: str, tmp_path: Path, artifacts: Path) -> str:
    import zxingcpp
    from PIL import Image

    pdf = tmp_path / "letter.pdf"
    r = arkaden("bookings", "letter", codes.display(code), "--lang", "ar", "--site", str(SITE), "--db-url", db,
                "--out", str(pdf))
    assert r.returncode == 0, r.stdout + r.stderr
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    page = next(tmp_path.glob("page*.png"))
    (artifacts / "journey").mkdir(parents=True, exist_ok=True)
    Image.open(page).save(artifacts / "journey" / "letter-ar-de.png")
    found = zxingcpp.read_barcodes(Image.open(page))
    assert found, "the letter's QR code could not be read from the rendered page"
    return str(found[0].text)


def test_a_journey_from_the_ics_import_to_the_last_desk(
        centre: tuple[str, CoreRunner, ShiftedClock], fresh_broker: MosquittoBroker, xserver: XServer,
        tmp_path: Path, artifacts_dir: Path) -> None:
    db, runner, clock = centre
    site = load_site(SITE)
    main_code = _code_of(db, "aufenthaltstitel", 3)
    late_code = _code_of(db, "aufenthaltstitel", 1)
    qr = _letter_qr(main_code, db, tmp_path, artifacts_dir)
    assert qr == f"ARKADEN-B:{main_code}"

    # the real kiosk: the letter scanned in Arabic; the late client's letter in German
    shots = artifacts_dir / "journey"
    cfg = {"site": str(SITE), "kiosk": "kiosk-eingang", "host": fresh_broker.host, "port": fresh_broker.port,
           "data_dir": str(tmp_path / "kiosk"), "shots": str(shots), "result": str(tmp_path / "result.json"),
           "scans": [{"qr": qr, "tag": "journey-ar", "lang": "ar"},
                     {"qr": f"ARKADEN-B:{codes.display(late_code)}", "tag": "late-de", "lang": "de"}]}
    (tmp_path / "journey.json").write_text(json.dumps(cfg))
    log = tmp_path / "kiosk.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tests.ui.journey_driver", str(tmp_path / "journey.json")],
                                cwd=REPO, env=xserver.env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        proc.wait(240)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, log.read_text(errors="replace")[-4000:]
    result = json.loads((tmp_path / "result.json").read_text())
    journey = result["journey-ar"]
    assert journey["appointments"] == ["aufenthaltstitel", "anerkennung", "jobcenter"]
    assert journey["step"] == "done" and journey["stops"] == ["aufenthaltstitel", "anerkennung", "jobcenter"]
    number = journey["number"]
    assert result["late-de"]["see_reception"] is (site.agency("auslaenderamt").bookings.late_action == "reception")
    assert result["printed"] == [number, result["late-de"]["number"]]

    # counsellors and a display, over the real broker
    topics = p.Topics(site.site.id)
    calls: list[dict[str, object]] = []
    lists: list[dict[str, object]] = []
    public: list[bytes] = []

    def seen(topic: str, data: dict[str, object]) -> None:
        if topic == topics.call():
            calls.append(data)
        elif topic == topics.tickets():
            lists.append(data)
        if "/public/" in topic:
            public.append(json.dumps(data).encode())

    desk = Link(site, fresh_broker.host, fresh_broker.port, lambda _l: None, name="desk",
                subscriptions=[topics.all_public(), topics.tickets()], on_public=seen,
                speaks_for=[site.web[0].id, "kiosk-1og"])   # a desk page (any counter) and a kiosk
    desk.start()
    try:
        assert desk.connected.wait(10)
        time.sleep(0.3)

        def act(counter: str, action: p.CounterAction, **kw: object) -> p.CommandResult:
            reply = desk.request(topics.counter_cmd(counter), p.CounterCommand(id=desk.new_id(), action=action, **kw),
                                 p.CommandResult, as_device=site.web[0].id)
            assert reply is not None and reply.ok, reply
            return reply

        def wait_for(pred: Callable[[], bool], what: str) -> None:
            deadline = time.monotonic() + 10
            while not pred():
                assert time.monotonic() < deadline, what
                time.sleep(0.05)

        assert act("auslaenderamt-2", "next").number == number
        act("auslaenderamt-2", "done", note=NOTE)  # the note for the next desk
        wait_for(lambda: any(r["number"] == number and r["note"] == NOTE and r["service"] == "anerkennung"
                             for r in (lists[-1]["tickets"] if lists else [])), "the note at the next stop")
        assert act("anerkennung-1", "next").number == number
        act("anerkennung-1", "done")
        assert act("jobcenter-1", "next").number == number
        act("jobcenter-1", "done")
        wait_for(lambda: len([c for c in calls if c["number"] == number]) >= 3, "three calls")
        rooms = [c["room"] for c in calls if c["number"] == number]
        assert len(set(rooms)) == 3, rooms  # the same number, to three rooms
        assert not any(NOTE.encode() in x for x in public) and not any(main_code.encode() in x for x in public)
        wait_for(lambda: not any(r["number"] == number for r in lists[-1]["tickets"]), "the visit closed")
        store = Store(db)
        try:
            assert store.notes_count() == 0  # the note is gone with the visit
            assert not any(NOTE in r.data for r in store.event_rows())
        finally:
            store.close()

        # no-show variant: the first stop missed, the second still follows
        ns_code = _code_of(db, "jobcenter", 2)
        issued = desk.request(topics.checkin("kiosk-1og"), p.CheckIn(id=desk.new_id(), booking_code=ns_code),
                              p.CheckInReply, as_device="kiosk-1og")
        assert issued is not None and issued.ticket is not None
        ns_number = issued.ticket.number
        assert act("jobcenter-2", "next").number == ns_number
        for _ in range(site.policy.max_recalls + 1):
            act("jobcenter-2", "recall")
        wait_for(lambda: any(r["number"] == ns_number and r["missed"] == 1 and r["service"] == "anerkennung"
                             for r in lists[-1]["tickets"]), "the missed stop and the next one waiting")

        # referral with return: to the Gesundheitskiosk and back to the first desk, ahead of the others
        walk_in = next(c.id for c in site.concerns if c.service == "ankommen")
        for _ in range(2):
            desk.request(topics.checkin("kiosk-1og"), p.CheckIn(id=desk.new_id(), concern=walk_in), p.CheckInReply,
                         as_device="kiosk-1og")
        first = act("ankommen-1", "next").number
        act("ankommen-1", "refer", to_service="gesundheit", note="Krankenversicherung klären, dann zurück")
        assert act("gesundheit-1", "next").number == first
        act("gesundheit-1", "done")
        assert act("ankommen-2", "next").number == first

        # refer with appointment for the next day: no new slip; the same slip checks in tomorrow
        act("ankommen-2", "book", to_service="anerkennung", slot=datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
        token = next(t.token for t in runner.service.state.tickets.values() if t.number == first)
        clock.jump(timedelta(days=1, hours=2, minutes=50))  # Thursday 12:50
        looked = desk.request(topics.lookup("kiosk-1og"), p.LookupBooking(id=desk.new_id(), ticket_token=token),
                              p.LookupReply, as_device="kiosk-1og")
        assert looked is not None and looked.ok and looked.booking_code is not None, looked
        assert [a.service for a in looked.appointments] == ["anerkennung"]
        again = desk.request(topics.checkin("kiosk-1og"), p.CheckIn(id=desk.new_id(),
                                                                    booking_code=looked.booking_code),
                             p.CheckInReply, as_device="kiosk-1og")
        assert again is not None and again.ok and again.ticket is not None
        assert again.ticket.service == "anerkennung"
    finally:
        desk.stop()
