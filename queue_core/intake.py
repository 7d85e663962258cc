"""Parse and de-duplicate: what an incoming message asks for, and whether the same command was answered before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import queue_protocol as p

from .store import Store

# the topic families the core takes commands on, and the payload model of each
COMMANDS: dict[str, type[p.Command]] = {
    "checkin": p.CheckIn, "lookup": p.LookupBooking, "counter_cmd": p.CounterCommand,
    "reception_cmd": p.ReceptionCommand,
}
# no device retries a command for longer than this; its stored answer is kept in the store regardless
REPLY_MEMORY = timedelta(days=2)


@dataclass(frozen=True)
class Incoming:
    """One MQTT message as the runner received it, with its v5 Response Topic and Correlation Data."""

    topic: str
    payload: bytes
    response_topic: str | None = None
    correlation: bytes | None = None


@dataclass(frozen=True)
class Request:
    """A command that parsed: its topic family, the device in the topic, the command, and its de-duplication key."""

    family: str
    device: str
    command: p.Command

    @property
    def key(self) -> str:
        return f"{self.family}:{self.device}:{self.command.id}"


class Refusal(Exception):
    """A message refused before anything was decided: a stable code, a sentence, the command's id if readable."""

    def __init__(self, code: str, message: str, command_id: str | None = None):
        super().__init__(message)
        self.code, self.message, self.command_id = code, message, command_id


def parse(topics: p.Topics, msg: Incoming, *, kiosks: frozenset[str], desks: frozenset[str]) -> Request:
    """The command a message carries, or a Refusal saying precisely why it is none.

    ``kiosks`` and ``desks`` are the site's kiosk and reception desk ids: only they may send on their topics.
    """
    try:
        parsed = topics.parse(msg.topic)
    except p.TopicError as exc:
        raise Refusal("unknown_topic", str(exc)) from None
    model = COMMANDS.get(parsed.spec.name)
    if model is None or parsed.param is None:
        raise Refusal("not_a_command", f"{msg.topic} is not a command topic")
    try:
        command = p.parse_payload(model, msg.payload)
    except p.ProtocolError as exc:
        raise Refusal(exc.code, exc.message, exc.command_id) from None
    except Exception as exc:  # anything the parser did not foresee is still just bad input
        raise Refusal("bad_payload", f"unreadable payload ({type(exc).__name__})") from None
    family, device = parsed.spec.name, parsed.param
    senders = {"checkin": kiosks, "lookup": kiosks, "reception_cmd": desks}.get(family)
    if senders is not None and device not in senders:  # counters: the engine checks them, with its own error
        raise Refusal("unknown_device", f"{parsed.param[:40]!r} is not configured at this site", command.id)
    return Request(family, device, command)


class ReplyMemory:
    """The answers already given, by command key: recent ones in memory, those of the last two days in the store.

    A repeated command id is answered with its first answer, also after a restart, and never applied again.
    """

    def __init__(self, store: Store, cache_size: int = 20_000):
        self.store = store
        self.cache_size = cache_size
        self._recent: dict[str, str] = {}  # insertion-ordered: the oldest is dropped first
        self._stored: set[str] = set()

    def reload(self, now: datetime) -> None:
        """Learn which keys the store answers for (at start, and after storage failures)."""
        self._stored = self.store.reply_keys_since(now - REPLY_MEMORY)

    def known(self, key: str) -> str | None:
        """The first answer to this command, or None for a command not seen before."""
        cached = self._recent.get(key)
        if cached is not None:
            return cached
        return self.store.reply_for(key) if key in self._stored else None

    def remember(self, key: str, reply: str, now: datetime) -> None:
        """Keep an answer the store now holds."""
        self._recent[key] = reply
        self._stored.add(key)
        if len(self._stored) > 200_000:  # a core that runs for months: keep only recent days
            self.reload(now)
        if len(self._recent) > self.cache_size:
            del self._recent[next(iter(self._recent))]
