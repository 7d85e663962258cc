"""serial:// and file:// printing on a real pseudo-terminal, status answers included."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk_app.printing.factory import open_printer
from kiosk_app.printing.raster import decode_pages
from kiosk_app.printing.simulator import PtyPrinterSimulator
from tests.printing_helpers import Outcomes, Statuses, scanned_tokens, slip

pytestmark = pytest.mark.integration


@pytest.mark.slow  # waits out real timeouts or starts processes
@pytest.mark.parametrize("scheme", ["serial", "file"])
def test_printer_serial_prints_and_reads_status_on_a_pty(scheme: str) -> None:
    with PtyPrinterSimulator() as sim:
        url = sim.url if scheme == "serial" else f"file://{sim.path}"
        printer = open_printer(url, 576)
        statuses, outcomes = Statuses(), Outcomes()
        printer.start(statuses)
        s = slip("kmr")
        try:
            statuses.wait_for(lambda st: st.can_print)
            printer.submit(s, outcomes)
            [outcome] = outcomes.wait(1)
            assert outcome.printed, outcome.reason
            sim.printer.set(paper="out")
            statuses.wait_for(lambda st: st.paper == "out")
            printer.submit(slip("kmr", seq=18), outcomes)
            refused = outcomes.wait(2)[1]
        finally:
            printer.stop()
        assert not refused.printed and "paper out" in refused.reason
        pages = decode_pages(bytes(sim.printer.received))
    assert scanned_tokens(pages) == [s.token]


def test_printer_serial_missing_device_is_reported(tmp_path: Path) -> None:
    printer = open_printer(f"serial://{tmp_path}/ttyUSB9?baudrate=19200", 576)
    statuses = Statuses()
    printer.start(statuses)
    try:
        seen = statuses.wait_for(lambda st: st.online == "no")
    finally:
        printer.stop()
    assert "ttyUSB9" in seen.error and seen.as_detail()["printer_error"].startswith("serial://")


def test_printer_file_plain_file_cannot_answer_status(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    target.touch()
    printer = open_printer(f"file://{target}?status=none", 384)
    outcomes = Outcomes()
    printer.start()
    s = slip("ro")
    try:
        printer.submit(s, outcomes)
        [outcome] = outcomes.wait(1)
    finally:
        printer.stop()
    assert outcome.printed and "cannot report" in outcome.reason
    [page] = decode_pages(target.read_bytes())
    assert scanned_tokens([page]) == [s.token]
