"""systemd notifications through a real unix datagram socket, from the helper and from `arkaden core`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from arkaden_cli.dev_broker import MosquittoBroker
from host_support import sd_notify

from .engine_helpers import MINI


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(10)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield sock
    sock.close()


def _recv_until(sock: socket.socket, wanted: str, timeout: float = 20) -> list[str]:
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            break
        if any(wanted in m for m in got):
            return got
    raise AssertionError(f"no {wanted!r} within {timeout} s; got {got}")


def test_sd_notify_is_a_no_op_without_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sd_notify.notify_ready() is False and sd_notify.notify_watchdog() is False
    monkeypatch.setenv("NOTIFY_SOCKET", "/nonexistent/notify.sock")
    assert sd_notify.notify_ready() is False  # a broken socket never raises


def test_sd_notify_sends_ready_status_and_watchdog(notify_socket: socket.socket) -> None:
    assert sd_notify.notify_ready("up")
    assert notify_socket.recv(4096) == b"READY=1\nSTATUS=up"
    assert sd_notify.notify_watchdog()
    assert notify_socket.recv(4096) == b"WATCHDOG=1"


def test_sd_notify_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"arkaden-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sd_notify.notify_stopping()
        assert sock.recv(4096) == b"STOPPING=1"


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_watchdog_pings_stop_when_the_service_is_stuck(notify_socket: socket.socket,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # 0.2 s: pings every 0.1 s
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    healthy = threading.Event()
    healthy.set()
    stop = threading.Event()
    thread = threading.Thread(target=sd_notify.serve, args=(stop,), kwargs={"alive": healthy.is_set})
    thread.start()
    try:
        assert "READY=1" in _recv_until(notify_socket, "READY=1")[0]
        _recv_until(notify_socket, "WATCHDOG=1")
        healthy.clear()
        time.sleep(0.15)  # let a ping that was already on its way arrive
        notify_socket.settimeout(0.05)
        while True:  # drain
            try:
                notify_socket.recv(4096)
            except TimeoutError:
                break
        notify_socket.settimeout(0.6)
        with pytest.raises(TimeoutError):  # three periods without a ping
            notify_socket.recv(4096)
        healthy.set()
        _recv_until(notify_socket, "WATCHDOG=1")
    finally:
        stop.set()
        thread.join(5)


def test_watchdog_is_off_for_another_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "1000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert sd_notify.watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sd_notify.watchdog_interval() == 1.0


@pytest.mark.slow  # waits out real timeouts or starts processes
@pytest.mark.integration
def test_core_process_tells_systemd_it_is_ready_alive_and_stopping(
        fresh_broker: MosquittoBroker, notify_socket: socket.socket, tmp_path: Path) -> None:
    env = dict(os.environ, WATCHDOG_USEC="1000000")  # WATCHDOG_PID unset: systemd sets it only for forks
    log = (tmp_path / "core.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "arkaden_cli", "core", "--site", str(MINI), "--host", fresh_broker.host,
         "--port", str(fresh_broker.port), "--db-url", f"sqlite:///{tmp_path / 'core.db'}"],
        env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        _recv_until(notify_socket, "READY=1", timeout=60)
        _recv_until(notify_socket, "WATCHDOG=1")
        _recv_until(notify_socket, "STATUS=connected to broker")
        proc.send_signal(signal.SIGTERM)
        _recv_until(notify_socket, "STOPPING=1")
        assert proc.wait(20) == 0, (tmp_path / "core.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
