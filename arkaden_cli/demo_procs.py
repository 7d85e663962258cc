"""The demo's child processes: each in a session of its own, logging to a file, stopped with its whole group.

A child is started through `setpriv --pdeathsig TERM` where util-linux has it, so it ends even when the demo
itself is killed (SIGKILL) and cannot stop it; otherwise the demo's own Ctrl-C/SIGTERM handling stops it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from arkaden_cli.common import child_env

STOP_TIMEOUT_S = 10.0


def _death_signal_prefix() -> list[str]:
    """The prefix that makes a child receive SIGTERM when the demo dies (setpriv, if installed)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


@dataclass
class Child:
    """One process of the demo; its output goes to `<logs>/<name>.log`."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self, logs: Path, pass_fds: tuple[int, ...] = ()) -> None:
        """Start the child (from the main thread: the death signal follows the thread that started it)."""
        self.log = logs / f"{self.name}.log"
        with self.log.open("ab") as log:
            # a session of its own: Ctrl-C reaches the demo only, which then stops the children in order
            self.proc = subprocess.Popen([*_death_signal_prefix(), *self.argv], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, env=child_env(**self.env),
                                         start_new_session=True, pass_fds=pass_fds)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        """Whether it still runs. An exited child stays unreaped until ``stop()``, so its group id stays ours."""
        return self.proc is not None and self.proc.returncode is None and self._exited() is None

    def exit_code(self) -> int | None:
        """Its exit status (negative: the signal that ended it), None while it runs."""
        if self.proc is None:
            return None
        if self.proc.returncode is not None:
            return self.proc.returncode
        info = self._exited()
        if info is None:
            return None
        return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status

    def _exited(self) -> os.waitid_result | None:
        assert self.proc is not None
        try:
            return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:  # reaped already
            self.proc.poll()
            return None

    def terminate(self) -> None:
        """SIGTERM to the child's process group (the child and whatever it started), without waiting."""
        self._signal(signal.SIGTERM)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM to the group, wait, SIGKILL if it does not go; then whatever of its group outlived it; reap."""
        if self.proc is None or self.proc.returncode is not None:
            return  # never started, or reaped already
        self.terminate()
        if not self._exited_within(timeout):
            self._signal(signal.SIGKILL)
            self._exited_within(5)
        # still unreaped (a zombie keeps its pid and group id): nothing else can have taken the group's id
        self._signal(signal.SIGKILL)
        self.proc.wait(timeout=5)

    def _exited_within(self, timeout: float) -> bool:
        """Whether the child exited within ``timeout`` s, leaving it unreaped."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def _signal(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)  # its session's id is its pid (start_new_session)
        except (ProcessLookupError, PermissionError):
            pass

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace") if self.log else ""
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"
