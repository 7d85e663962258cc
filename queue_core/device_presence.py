"""Devices' retained presence as the core receives it: a device log row whenever a device's (online, paper)
changes, stamped with the core's clock; malformed presence is counted and dropped."""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import datetime

import queue_protocol as p

from .device_store import DeviceStore
from .intake import Incoming

log = logging.getLogger("arkaden.core")

OWN_ID = "core"  # the core's own presence (runner.py) is not a device of the log
DEVICE_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")  # fits device_log.device
KIND = re.compile(r"[a-z0-9][a-z0-9_-]{0,19}")        # fits device_log.kind
# what a kiosk's printer says (kiosk_app.printing.port.Paper): "low" still prints, anything else is "unknown"
PAPER = {"ok": "ok", "low": "ok", "out": "out"}


def paper_of(detail: dict[str, str]) -> str:
    """The device log's paper value: ok | out | unknown, or "" when the presence names no paper at all."""
    if "paper" not in detail:
        return ""
    return PAPER.get(detail["paper"], "unknown")


class PresenceRecorder:
    """Keeps each device's last (online, paper) and writes a row to the device log only when it changes.

    Retained presence comes again at every (re)subscribe, so unchanged presence writes nothing; at start-up the
    last stored state is the starting point, and nothing is assumed about devices the broker does not report.
    """

    def __init__(self, topics: p.Topics, store: DeviceStore, stats: Counter[str]):
        self.topics = topics
        self.store = store
        self.stats = stats
        self._known: dict[str, tuple[bool, str]] = store.last_presence()
        self._prefix = topics.all_presence().removesuffix("+")  # arkaden/v1/<site>/presence/

    def note_own(self, online: bool, now: datetime) -> None:
        """The core's own start and clean stop, in the device log: downtime of the devices is counted only while
        the core was there to see it (queue_rules.device_time). Never raises: a database that is away is logged."""
        if self._known.get(OWN_ID, (not online, ""))[0] == online:
            return
        try:
            self.store.record_presence(at=now, device=OWN_ID, kind=OWN_ID, online=online, paper="")
        except Exception as exc:  # the core runs on; the figures then count that stretch as watched
            log.warning("could not log the core's own presence: %s", exc)
            return
        self._known[OWN_ID] = (online, "")

    def accepts(self, topic: str) -> bool:
        """Whether the topic is a device's presence (this site's): a prefix test, as every command passes here;
        `receive` parses the topic properly."""
        return topic.startswith(self._prefix)

    def receive(self, msg: Incoming, now: datetime) -> bool:
        """Take one presence message; True when it changed the device's state and a row was written.

        Never raises: bad input is counted (`presence_malformed`) and logged without its content.
        """
        try:
            parsed = self.topics.parse(msg.topic)
        except p.TopicError:
            return self._malformed("", "not a presence topic")
        device = parsed.param or ""
        if parsed.spec.name != "presence":
            return self._malformed("", "not a presence topic")
        if device == OWN_ID:
            return False
        if not msg.payload:  # a retained presence being cleared: nothing to say about the device
            self.stats["presence_cleared"] += 1
            return False
        try:
            presence = p.parse_payload(p.DevicePresence, msg.payload)
        except p.ProtocolError as exc:
            return self._malformed(device, exc.code)
        except Exception as exc:  # anything the parser did not foresee is still just bad input
            return self._malformed(device, type(exc).__name__)
        if presence.kind == OWN_ID:
            return False
        if presence.device != device or not DEVICE_ID.fullmatch(device) or not KIND.fullmatch(presence.kind):
            return self._malformed(device, "device or kind does not fit")
        state = (presence.online, paper_of(presence.detail))
        if self._known.get(device) == state:
            self.stats["presence_unchanged"] += 1
            return False
        try:
            self.store.record_presence(at=now, device=device, kind=presence.kind, online=state[0], paper=state[1])
        except Exception as exc:  # the database is away: the next retained or changed presence tries again
            self.stats["presence_store_errors"] += 1
            log.error("could not store the presence of %s: %s", device, type(exc).__name__)
            return False
        self._known[device] = state
        self.stats["presence_changes"] += 1
        return True

    def _malformed(self, device: str, why: str) -> bool:
        self.stats["presence_malformed"] += 1
        # the topic's device level is the sender's text: only an id that fits the pattern goes into the log
        shown = device if DEVICE_ID.fullmatch(device) else "(an unusable device id)"
        log.warning("ignored a malformed presence of %s: %s", shown, why)
        return False
