"""Fault: the core SIGKILLed in the middle of a morning rush and started again, against a real Mosquitto.

Four kiosks resend each check-in with the same id until the core answers; two more are the kiosk's own backend
(1.5 s wait, then an offline ticket from its block that names the check-in it replaces, handed in from its outbox);
forty button boxes press `next` and resend each press until answered (deadline 15 s). The core, its own process,
is killed with SIGKILL when half of the check-ins are answered, and started again at once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import queue_protocol as p
from arkaden_cli.dev_broker import MosquittoBroker
from queue_rules.site import Site

from .checks import core_problems, wait_quiet
from .clients import FaultClient
from .conftest import CoreProcess, Figures
from .rush import Rush, check_run


@pytest.mark.slow
@pytest.mark.integration
def test_core_sigkilled_in_a_morning_rush(core_process: CoreProcess, fresh_broker: MosquittoBroker, rush_site: Site,
                                          tmp_path: Path, figures: Figures) -> None:
    """Every check-in lands exactly once (answered before the kill, or through its retry or the outbox), no number
    is issued twice, nobody is called twice, every stored call is announced once, and the log folds to the
    retained board, queues, counters and reception list."""
    t = p.Topics(rush_site.site.id)
    began = time.monotonic()
    watcher = FaultClient(fresh_broker.host, fresh_broker.port, "mini", "display-1",
                          [t.call(), t.board(), t.presence("core")])
    rush = Rush(rush_site, fresh_broker, tmp_path)
    try:
        since = time.monotonic()
        core_process.start()
        figures["core_start_s"] = round(core_process.wait_online(watcher, since), 2)
        rush.connect()
        rush.start()
        rush.wait_answered(rush.checkins // 2, timeout=60 + rush.checkins / 5)
        killed_at = time.monotonic()
        figures["answered_before_kill"] = rush.answered()
        core_process.kill()
        core_process.start()
        figures["core_down_s"] = round(core_process.wait_online(watcher, killed_at), 2)
        figures["outbox_drained_s"] = round(rush.finish(), 2)
        wait_quiet(watcher)
        core_process.stop()   # a clean stop flushes the last retained state
        figures.values.update(checkins_planned=rush.checkins, counters=len(rush.boxes),
                              core_exit_codes=core_process.exit_codes)
        problems = check_run(rush, core_process.db_url, watcher, figures.values, datetime.now(UTC))
        figures["scenario_s"] = round(time.monotonic() - began, 1)

        assert core_process.exit_codes[0] == -9, "the first core was not killed"
        assert not problems, "\n".join(problems[:30])
        assert not core_problems(core_process.logs()), core_process.logs()
    finally:
        rush.close()
        watcher.close()
