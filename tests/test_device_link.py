"""Integration: a site device's link publishes retained presence, updates its detail and leaves a Last Will."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from arkaden_cli.dev_broker import MosquittoBroker
from device_link.link import Link
from device_link.mqtt_client import make_client

from .engine_helpers import mini_site

REPO = Path(__file__).resolve().parents[1]


class PresenceWatcher:
    """Records every retained presence message of the mini site."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.seen: list[dict] = []
        self.cv = threading.Condition()
        self.client = make_client("test-presence-watcher")
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe("arkaden/v1/mini/presence/+", qos=1)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        with self.cv:
            self.seen.append(json.loads(msg.payload))
            self.cv.notify_all()

    def wait(self, predicate, timeout: float = 10) -> dict:  # type: ignore[no-untyped-def]
        with self.cv:
            assert self.cv.wait_for(lambda: any(predicate(m) for m in self.seen), timeout), self.seen
            return next(m for m in reversed(self.seen) if predicate(m))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_device_presence_detail_and_goodbye(fresh_broker: MosquittoBroker) -> None:
    watcher = PresenceWatcher(fresh_broker)
    link = Link(mini_site(), fresh_broker.host, fresh_broker.port, lambda _l: None,
                device_id="kiosk-1", kind="kiosk", version="test")
    link.start()
    try:
        watcher.wait(lambda m: m["device"] == "kiosk-1" and m["online"])
        link.set_presence_detail({"paper": "out"})
        msg = watcher.wait(lambda m: m["device"] == "kiosk-1" and m["detail"].get("paper") == "out")
        assert msg["online"] is True and msg["kind"] == "kiosk"
    finally:
        link.stop()
    msg = watcher.wait(lambda m: m["device"] == "kiosk-1" and not m["online"])
    assert msg["detail"] == {"paper": "out"}
    watcher.close()


def test_a_killed_device_is_marked_offline_by_its_last_will(fresh_broker: MosquittoBroker) -> None:
    watcher = PresenceWatcher(fresh_broker)
    script = textwrap.dedent(f"""
        import time
        from device_link.link import Link
        from tests.engine_helpers import mini_site
        link = Link(mini_site(), {fresh_broker.host!r}, {fresh_broker.port}, print, device_id="display-1",
                    kind="display")
        link.start()
        link.connected.wait(10)
        print("up", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "up"
        watcher.wait(lambda m: m["device"] == "display-1" and m["online"])
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        # keepalive is 15 s; the broker closes the dead socket at once because the process is gone
        watcher.wait(lambda m: m["device"] == "display-1" and not m["online"], timeout=30)
    finally:
        proc.kill()
        watcher.close()
