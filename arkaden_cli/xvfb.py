"""A private X server (Xvfb) for running the Kivy apps without a screen: benchmarks, tours and tests."""

from __future__ import annotations

import os
import shutil
import subprocess

INSTALL_HINT = "install the Debian package 'xvfb' (./scripts/bootstrap.sh does)"


class XvfbError(RuntimeError):
    pass


class Xvfb:
    """Starts Xvfb on a free display number (``-displayfd``); ``display`` is e.g. ":3"."""

    def __init__(self, size: str = "1920x1920x24") -> None:
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise XvfbError(f"Xvfb not found: {INSTALL_HINT}")
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp",
                                      "-noreset"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        os.close(write_fd)
        with os.fdopen(read_fd) as fh:
            number = fh.readline().strip()
        if not number:
            self.stop()
            err = self.proc.stderr.read().decode(errors="replace")[-500:] if self.proc.stderr else ""
            raise XvfbError(f"Xvfb did not start: {err}")
        self.display = f":{number}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
