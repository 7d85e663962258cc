"""DLE EOT status: parsing, and a printer that answers paper-out, nothing at all, or rubbish."""

from __future__ import annotations

from dataclasses import replace

import pytest
from escpos.printer import Dummy

from kiosk_app.printing import status as rt
from kiosk_app.printing.escpos_printer import EscposTicketPrinter, WorkerSettings
from kiosk_app.printing.port import PrinterStatus
from kiosk_app.printing.raster import decode_pages
from kiosk_app.printing.simulated_printer import SimulatedPrinter
from kiosk_app.printing.transports import DummyTransport
from tests.printing_helpers import Outcomes, Statuses, slip

FAST = WorkerSettings(poll_interval=0.1, job_deadline=10)


def b(x: int) -> bytes:
    return bytes((x,))


def test_printer_status_parse_ready_and_faults() -> None:
    assert rt.parse({1: b(0x12), 2: b(0x12), 4: b(0x12)}) == PrinterStatus("ok", "closed", "yes")
    assert rt.parse({1: b(0x1A), 2: b(0x12), 4: b(0x72)}).paper == "out"          # paper sensor bits 5-6
    assert rt.parse({1: b(0x1A), 2: b(0x32), 4: b(0x12)}).paper == "out"          # stopped by paper end
    assert rt.parse({1: b(0x12), 2: b(0x12), 4: b(0x1E)}).paper == "low"
    opened = rt.parse({1: b(0x1A), 2: b(0x16), 4: b(0x12)})
    assert (opened.cover, opened.online, opened.can_print) == ("open", "no", False)
    assert rt.parse({1: b(0x12), 2: b(0x12), 4: b(0x1E)}).can_print      # low paper still prints


@pytest.mark.parametrize("reply", [b"", None, b"\xff", b"\x00", b"A", b"\x12\x12"])
def test_printer_status_empty_or_invalid_reply_is_unknown_not_ok(reply: bytes | None) -> None:
    status = rt.parse({1: reply, 2: reply, 4: reply})
    assert status == PrinterStatus("unknown", "unknown", "unknown")
    assert not status.can_print
    assert status.as_detail() == {"paper": "unknown", "cover": "unknown", "printer_online": "unknown"}


def test_printer_status_python_escpos_alone_would_say_paper_ok() -> None:
    """Why we read DLE EOT ourselves: python-escpos 3.1 takes "no answer" for "paper adequate"."""
    class Mute(Dummy):
        def _read(self) -> bytes:
            return b""

    assert Mute().paper_status() == 2
    assert rt.parse({4: b""}).paper == "unknown"


def _printer(sim: SimulatedPrinter, settings: WorkerSettings = FAST) -> tuple[EscposTicketPrinter, DummyTransport]:
    transport = DummyTransport(sim)
    return EscposTicketPrinter(transport, 576, settings), transport


@pytest.mark.parametrize(("fault", "words"), [
    ({"paper": "out"}, "paper out"),
    ({"cover": "open"}, "cover open"),
    ({"online": False}, "offline"),
    ({"silent": True}, "no valid status reply"),
    ({"garbage": True}, "no valid status reply"),
])
def test_printer_status_fault_refuses_the_job_and_reaches_on_status(fault: dict, words: str) -> None:
    sim = SimulatedPrinter()
    sim.set(**fault)
    printer, transport = _printer(sim)
    statuses, outcomes = Statuses(), Outcomes()
    printer.start(statuses)
    try:
        statuses.wait_for(lambda s: not s.can_print and not s.error)
        printer.submit(slip("ar"), outcomes)
        [outcome] = outcomes.wait(1)
    finally:
        printer.stop()
    assert not outcome.printed and words in outcome.reason
    assert not outcome.status.can_print
    assert b"\x1dv0" not in transport.output, "no slip bytes are sent to a printer that cannot print"
    assert printer.status().as_detail()["paper"] == ("out" if "paper" in fault else
                                                     "unknown" if words.startswith("no valid") else "ok")


def test_printer_status_recovers_when_paper_is_refilled() -> None:
    sim = SimulatedPrinter(paper="out")
    printer, _ = _printer(sim)
    statuses = Statuses()
    printer.start(statuses)
    try:
        statuses.wait_for(lambda s: s.paper == "out")
        sim.set(paper="ok")
        statuses.wait_for(lambda s: s.paper == "ok" and s.can_print)
        outcomes = Outcomes()
        printer.submit(slip("de"), outcomes)
        assert outcomes.wait(1)[0].printed
    finally:
        printer.stop()
    assert len(sim.pages) == 1


def test_printer_status_paper_out_during_the_job_is_reported() -> None:
    sim = SimulatedPrinter()
    printer, _ = _printer(sim)
    original = sim.feed

    def feed(chunk: bytes) -> bytes:
        answer = original(chunk)
        if b"\x1dv0" in chunk:
            sim.set(paper="out")     # the roll ends while this slip prints
        return answer

    sim.feed = feed  # type: ignore[method-assign]
    outcomes = Outcomes()
    printer.start()
    try:
        printer.submit(slip("de"), outcomes)
        [outcome] = outcomes.wait(1)
    finally:
        printer.stop()
    assert not outcome.printed and "after the job" in outcome.reason and outcome.status.paper == "out"


def test_printer_status_none_prints_blind_and_says_so() -> None:
    sim = SimulatedPrinter(silent=True)
    printer, _ = _printer(sim, replace(FAST, query_status=False))
    outcomes = Outcomes()
    printer.start()
    try:
        printer.submit(slip("de"), outcomes)
        [outcome] = outcomes.wait(1)
    finally:
        printer.stop()
    assert outcome.printed and "cannot report" in outcome.reason
    assert outcome.status == PrinterStatus()      # unknown, and said to be
    assert len(sim.pages) == 1 and sim.status_queries == 0


def test_printer_status_stop_answers_queued_jobs() -> None:
    sim = SimulatedPrinter()
    printer, _ = _printer(sim)
    outcomes = Outcomes()
    printer.stop()   # never started: queued jobs still get their answer
    printer.submit(slip("de"), outcomes)
    printer.stop()
    [outcome] = outcomes.wait(1)
    assert not outcome.printed and outcome.reason == "printer stopped"
    assert decode_pages(bytes(sim.received)) == []
