"""How bytes reach a printer: python-escpos's Network, Serial, Usb, File and Dummy, each with timeouts and
a status read of our own (python-escpos's ``_read`` blocks for its whole timeout and cannot tell "no answer"
from a closed connection)."""

from __future__ import annotations

import logging
import os
import select
import socket
import stat
from dataclasses import dataclass
from typing import Any, Protocol

from escpos.escpos import Escpos

from .simulated_printer import SimulatedPrinter

log = logging.getLogger("arkaden.printer")


class TransportError(OSError):
    """The printer cannot be reached or the connection broke."""


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.0     # opening the connection
    write: float = 5.0       # one job's bytes accepted by the printer
    reply: float = 0.5       # a DLE EOT answer


class Transport(Protocol):
    name: str                # for messages: the URL without secrets

    def open(self) -> None: ...
    def close(self) -> None: ...
    def write(self, data: bytes) -> None: ...
    def query(self, request: bytes) -> bytes:
        """Send a real-time request and return the answer byte, or b"" when none came in time."""


def _wrap(name: str, exc: BaseException) -> TransportError:
    """The error in words, naming the printer; python-escpos's "Device not found (...)" unwrapped."""
    from escpos.exceptions import DeviceNotFoundError

    if isinstance(exc, DeviceNotFoundError) and exc.__context__ is not None:
        exc = exc.__context__
    return TransportError(f"{name}: {exc}".replace("\n", " "))


class NetworkTransport:
    def __init__(self, host: str, port: int, timeouts: Timeouts):
        from escpos.printer import Network

        self.name = f"tcp://{host}:{port}"
        self.timeouts = timeouts
        self.escpos = Network(host, port, timeout=timeouts.connect)
        self._sock: socket.socket | None = None

    def open(self) -> None:
        try:
            self.escpos.open()
        except Exception as exc:  # DeviceNotFoundError wraps the OSError
            raise _wrap(self.name, exc) from exc
        sock = self.escpos.device
        assert isinstance(sock, socket.socket)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeouts.write)
        self._sock = sock

    def close(self) -> None:
        self._sock = None
        try:
            self.escpos.close()
        except OSError:
            pass

    def _live(self) -> socket.socket:
        if self._sock is None:
            raise TransportError(f"{self.name}: not connected")
        return self._sock

    def write(self, data: bytes) -> None:
        try:
            self.escpos._raw(data)   # socket.sendall under the write timeout
        except OSError as exc:
            raise _wrap(self.name, exc) from exc

    def _drain(self, sock: socket.socket) -> None:
        """Drop stale bytes (late answers); a closed connection shows up here as EOF."""
        while select.select([sock], [], [], 0)[0]:
            if not sock.recv(4096):
                raise TransportError(f"{self.name}: the printer closed the connection")

    def query(self, request: bytes) -> bytes:
        sock = self._live()
        try:
            self._drain(sock)
            sock.sendall(request)
            if not select.select([sock], [], [], self.timeouts.reply)[0]:
                return b""
            reply = sock.recv(1)
        except TransportError:
            raise   # named already
        except OSError as exc:
            raise _wrap(self.name, exc) from exc
        if not reply:
            raise TransportError(f"{self.name}: the printer closed the connection")
        return reply


class SerialTransport:
    def __init__(self, device: str, options: dict[str, Any], timeouts: Timeouts):
        from escpos.printer import Serial

        self.name = f"serial://{device}"
        self.timeouts = timeouts
        self.rtscts = bool(options.pop("rtscts", False))
        self.escpos = Serial(device, timeout=timeouts.reply, **options)

    def open(self) -> None:
        try:
            self.escpos.open()
            port = self.escpos.device
            port.write_timeout = self.timeouts.write
            port.rtscts = self.rtscts
        except Exception as exc:  # DeviceNotFoundError, SerialException
            raise _wrap(self.name, exc) from exc

    def close(self) -> None:
        try:
            if self.escpos._device:
                self.escpos._device.close()   # no flush: a dead port would block on it
        except OSError as exc:              # SerialException is an OSError
            log.debug("closing %s: %s", self.name, exc)
        self.escpos._device = False

    def write(self, data: bytes) -> None:
        try:
            self.escpos._raw(data)
            self.escpos.device.flush()
        except Exception as exc:  # SerialException, SerialTimeoutException, OSError
            raise _wrap(self.name, exc) from exc

    def query(self, request: bytes) -> bytes:
        try:
            port = self.escpos.device
            port.reset_input_buffer()
            port.write(request)
            return bytes(port.read(1))   # waits at most timeouts.reply
        except Exception as exc:
            raise _wrap(self.name, exc) from exc


class UsbTransport:
    def __init__(self, vid: int, pid: int, options: dict[str, Any], timeouts: Timeouts):
        from escpos.printer import Usb

        self.name = f"usb://{vid:04x}:{pid:04x}"
        self.timeouts = timeouts
        self.escpos = Usb(vid, pid, timeout=int(timeouts.write * 1000), **options)

    def open(self) -> None:
        try:
            self.escpos.open()
        except Exception as exc:  # USBNotFoundError, USBError, RuntimeError without pyusb
            raise _wrap(self.name, exc) from exc

    def close(self) -> None:
        try:
            self.escpos.close()
        except OSError as exc:              # USBError is an OSError
            log.debug("closing %s: %s", self.name, exc)
        self.escpos._device = False

    def write(self, data: bytes) -> None:
        try:
            self.escpos._raw(data)
        except Exception as exc:
            raise _wrap(self.name, exc) from exc

    def query(self, request: bytes) -> bytes:
        import usb.core

        dev, esc = self.escpos.device, self.escpos
        try:
            while True:  # drop stale answers
                try:
                    dev.read(esc.in_ep, 64, 1)
                except usb.core.USBTimeoutError:
                    break
            dev.write(esc.out_ep, request, int(self.timeouts.write * 1000))
            try:
                return bytes(dev.read(esc.in_ep, 16, int(self.timeouts.reply * 1000)))[:1]
            except usb.core.USBTimeoutError:
                return b""
        except Exception as exc:
            raise _wrap(self.name, exc) from exc


class FileTransport:
    """A device file such as /dev/usb/lp0; status answers are read from it when it is a character device."""

    def __init__(self, path: str, timeouts: Timeouts):
        from escpos.printer import File

        self.name = f"file://{path}"
        self.path, self.timeouts = path, timeouts
        self.escpos = File(path)
        self._rfd = -1

    def open(self) -> None:
        try:
            self.escpos.open()
            if stat.S_ISCHR(os.stat(self.path).st_mode):
                self._rfd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except Exception as exc:
            self.close()
            raise _wrap(self.name, exc) from exc

    def close(self) -> None:
        if self._rfd >= 0:
            os.close(self._rfd)
            self._rfd = -1
        try:
            self.escpos.close()
        except OSError:
            pass
        self.escpos._device = False

    def write(self, data: bytes) -> None:
        try:
            self.escpos._raw(data)
        except Exception as exc:
            raise _wrap(self.name, exc) from exc

    def query(self, request: bytes) -> bytes:
        if self._rfd < 0:
            return b""   # a plain file cannot answer
        try:
            while select.select([self._rfd], [], [], 0)[0] and os.read(self._rfd, 4096):
                pass
            self.escpos._raw(request)
            if not select.select([self._rfd], [], [], self.timeouts.reply)[0]:
                return b""
            return os.read(self._rfd, 1)
        except BlockingIOError:
            return b""
        except Exception as exc:
            raise _wrap(self.name, exc) from exc


class DummyTransport:
    """python-escpos's in-memory Dummy with a simulated printer answering status: ``output`` holds the bytes."""

    def __init__(self, printer: SimulatedPrinter | None = None):
        from escpos.printer import Dummy

        self.name = "dummy://"
        self.escpos: Escpos = Dummy()
        self.printer = printer or SimulatedPrinter()

    @property
    def output(self) -> bytes:
        out: bytes = self.escpos.output
        return out

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        self.escpos._raw(data)
        self.printer.feed(data)

    def query(self, request: bytes) -> bytes:
        return self.printer.feed(request)[:1]
