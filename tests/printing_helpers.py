"""Shared bits for the slip and printer tests: sample slips from the real site, waiting on print outcomes."""

from __future__ import annotations

import threading
from pathlib import Path

import zxingcpp
from PIL import Image

from host_support.site_file import load_site
from kiosk_app.printing.port import PrinterStatus, PrintOutcome, Slip
from kiosk_app.printing.sample import sample_slip
from queue_protocol.scan import classify_scan
from queue_rules.site import Site

REPO_ROOT = Path(__file__).resolve().parent.parent
_site: list[Site] = []


def site() -> Site:
    if not _site:
        _site.append(load_site(REPO_ROOT / "sites" / "kia-aachen-arkaden.toml"))
    return _site[0]


def slip(lang: str = "de", **kw: object) -> Slip:
    return sample_slip(site(), lang, **kw)  # type: ignore[arg-type]


class Outcomes:
    """Collects on_done calls; ``wait(n)`` blocks until n arrived."""

    def __init__(self) -> None:
        self.items: list[PrintOutcome] = []
        self._cond = threading.Condition()

    def __call__(self, outcome: PrintOutcome) -> None:
        with self._cond:
            self.items.append(outcome)
            self._cond.notify_all()

    def wait(self, n: int = 1, timeout: float = 30.0) -> list[PrintOutcome]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.items) >= n, timeout):
                raise AssertionError(f"only {len(self.items)} of {n} print outcomes after {timeout} s")
            return list(self.items)


class Statuses:
    """Collects on_status calls; ``wait_for(pred)`` blocks until one matches."""

    def __init__(self) -> None:
        self.items: list[PrinterStatus] = []
        self._cond = threading.Condition()

    def __call__(self, status: PrinterStatus) -> None:
        with self._cond:
            self.items.append(status)
            self._cond.notify_all()

    def wait_for(self, pred, timeout: float = 30.0) -> PrinterStatus:  # type: ignore[no-untyped-def]
        with self._cond:
            if not self._cond.wait_for(lambda: any(pred(s) for s in self.items), timeout):
                raise AssertionError(f"no matching printer status in {timeout} s; saw {self.items}")
            return next(s for s in self.items if pred(s))


def scanned_tokens(pages: list[Image.Image]) -> list[str]:
    """The ticket tokens a desk scanner reads from printed slips (QR decoded by zxing-cpp, then classified)."""
    tokens = []
    for page in pages:
        for code in zxingcpp.read_barcodes(page):
            scanned = classify_scan(code.text)
            assert scanned is not None and scanned.kind == "ticket", code.text
            tokens.append(scanned.value)
    return tokens
