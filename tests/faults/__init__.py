"""Fault scenarios against real processes: the core killed, the broker restarted, midnight and the DST nights."""
