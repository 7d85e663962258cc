"""Pseudo-terminals for the serial tests: the shipped PtyDevice (serial_devices.pty_device)."""

from serial_devices.pty_device import PtyDevice

__all__ = ["PtyDevice"]
