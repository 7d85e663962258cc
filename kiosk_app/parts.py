"""What the kiosk app is built from: the site, its backend, printer, scanner and status, real or fake."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from host_support.sim_clock import real_now
from queue_rules.site import Site
from serial_devices.scanner import ScannerSource
from ui_common.snapshots import SnapshotSettings
from ui_common.speech import Player

from .backend import Backend
from .flow import Timeouts
from .guidance import Side
from .printing.port import TicketPrinter
from .status import DeviceStatus


@dataclass
class KioskParts:
    """Everything the app needs, built in main() (real devices) or by a test or the tour (fakes)."""

    site: Site
    kiosk_id: str
    backend: Backend
    printer: TicketPrinter
    scanner: ScannerSource
    status: DeviceStatus
    portrait: bool = True
    timeouts: Timeouts = field(default_factory=Timeouts)
    default_lang: str = "de"
    on_printing: Callable[[float], None] | None = None
    clock: Callable[[], datetime] = real_now       # what the screens show and compute with (--sim-clock)
    snapshots: SnapshotSettings | None = None      # --snapshot-dir
    closers: list[Callable[[], None]] = field(default_factory=list)
    player: Player | None = None                   # plays the read-aloud speech; None: no speaker button
    scanner_at: Side | None = None                 # where the scanner sits (kiosk.scanner_at); None: no scanner
    slip_out: Side = "below"                       # where the slip comes out (kiosk.slip_out)

    @property
    def screen_size(self) -> tuple[int, int]:
        """The size the screens are laid out for (a smaller window shows them scaled)."""
        return (1080, 1920) if self.portrait else (1920, 1080)
