"""Launch a private Mosquitto broker for the test suite, the demo and the benchmark."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from host_support.package_data import PackageDataError, package_path

# Debian installs mosquitto in /usr/sbin, which is often missing from a user's PATH.
SBIN_DIRS: tuple[str, ...] = ("/usr/sbin", "/usr/local/sbin", "/sbin")
STARTUP_TIMEOUT = 5.0
HOST = "127.0.0.1"


def dev_config() -> Path:
    """The development broker's config, shipped as package data (`arkaden_cli/data/dev.conf`)."""
    try:
        return package_path("arkaden_cli", "data", "dev.conf")  # Mosquitto needs a real file
    except PackageDataError as exc:
        raise BrokerUnavailable(str(exc)) from None


class BrokerUnavailable(RuntimeError):
    """Mosquitto is not installed, or it did not come up."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def find_mosquitto() -> str:
    """Return the path of the mosquitto binary or raise BrokerUnavailable."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *SBIN_DIRS])
    binary = shutil.which("mosquitto", path=search)
    if binary is None:
        raise BrokerUnavailable(
            "The 'mosquitto' binary was not found (searched PATH and "
            f"{', '.join(SBIN_DIRS) or 'nothing else'}). Install the Debian package "
            "'mosquitto' (sudo apt-get install mosquitto), or run ./scripts/test, "
            "which installs it for you."
        )
    return binary


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 5) -> None:
    """Terminate a child process, wait, and kill it if it does not go."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def accepts_connections(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port right now."""
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


class MosquittoBroker:
    """A Mosquitto process listening on 127.0.0.1, with its files kept in `workdir`."""

    def __init__(self, workdir: Path, port: int | None = None, config: Path | None = None):
        self.workdir = Path(workdir)
        self._port = port
        self.config = Path(config) if config is not None else dev_config()
        self.config_file = self.workdir / "mosquitto.conf"
        self.log_file = self.workdir / "mosquitto.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the broker has no port until start() is called")
        return self._port

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _render_config(self) -> None:
        lines = [self.config.read_text(), "", "# added by arkaden_cli.dev_broker"]
        lines.append(f"listener {self.port} {HOST}")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # otherwise mosquitto drops privileges to the 'mosquitto' user
            lines.append("user root")
        lines.append("log_dest stderr")
        self.config_file.write_text("\n".join(lines) + "\n")

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"

    def start(self) -> None:
        """Start the broker and wait until it accepts TCP connections."""
        if self.running:
            return
        binary = find_mosquitto()
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._port is None:
            self._port = free_port()
        self._render_config()
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                [binary, "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise BrokerUnavailable(
                    f"mosquitto exited with code {code} while starting on {HOST}:{self.port} "
                    f"(config {self.config_file}). Last lines of {self.log_file}:\n"
                    f"{self._log_tail()}"
                )
            if accepts_connections(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise BrokerUnavailable(
            f"mosquitto did not accept connections on {HOST}:{self.port} within "
            f"{STARTUP_TIMEOUT:.0f} s (is the port taken?). Last lines of {self.log_file}:\n"
            f"{self._log_tail()}"
        )

    def stop(self) -> None:
        """Stop the broker: terminate, wait, and kill if it does not go."""
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process(proc)

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()

    def __enter__(self) -> MosquittoBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"MosquittoBroker({HOST}:{self._port}, {state}, workdir={self.workdir})"
