"""A real Mosquitto running the production drop-in as Debian does: a main file that includes conf.d/."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from arkaden_cli.dev_broker import BrokerUnavailable, accepts_connections, find_mosquitto, free_port, stop_process
from provisioning.files import render_broker_conf

HOST = "127.0.0.1"


class SecureBroker:
    """Mosquitto with the generated files of a provisioning run (``out``), on free ports."""

    def __init__(self, out: Path, workdir: Path, *, websockets: bool = False):
        self.out = out
        self.workdir = workdir
        self.local_port = free_port()
        self.tls_port = free_port()
        self.ws_port = free_port() if websockets else None
        self.log_file = workdir / "mosquitto.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def _write_config(self) -> Path:
        data = self.workdir / "data"
        conf_d = self.workdir / "conf.d"
        data.mkdir(parents=True, exist_ok=True)
        conf_d.mkdir(exist_ok=True)
        (conf_d / "arkaden.conf").write_text(render_broker_conf(
            broker_dir=str(self.out / "broker"), local_port=self.local_port, tls_port=self.tls_port,
            websockets_port=self.ws_port))
        main = [  # what Debian's /etc/mosquitto/mosquitto.conf sets, with our directories
            f"persistence_location {data}/",
            "log_dest stderr",
            "log_type all" if os.environ.get("ARKADEN_BROKER_DEBUG") else "",
            f"include_dir {conf_d}",
        ]
        if os.geteuid() == 0:
            main.insert(0, "user root")  # otherwise mosquitto drops to 'mosquitto', who cannot read 0600 files
        path = self.workdir / "mosquitto.conf"
        path.write_text("\n".join(main) + "\n")
        return path

    def start(self) -> None:
        try:
            binary = find_mosquitto()
        except BrokerUnavailable as exc:
            pytest.fail(str(exc), pytrace=False)
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen([binary, "-c", str(config)], stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT)
        ports = [p for p in (self.local_port, self.tls_port, self.ws_port) if p]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                pytest.fail(f"mosquitto exited ({self._proc.returncode}) with the production config:\n"
                            f"{self.log_file.read_text(errors='replace')[-3000:]}", pytrace=False)
            if all(accepts_connections(p) for p in ports):
                return
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"mosquitto did not listen on {ports}:\n{self.log_file.read_text(errors='replace')[-3000:]}",
                    pytrace=False)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process(proc)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")


