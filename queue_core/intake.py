"""Parse and de-duplicate: what an incoming message asks for, and whether the same command was answered before."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import queue_protocol as p
from queue_rules.site import Site

from .store import Store

# the topic families the core takes commands on, and the payload model of each
COMMANDS: dict[str, type[p.Command]] = {
    "checkin": p.CheckIn, "lookup": p.LookupBooking, "counter_cmd": p.CounterCommand,
    "reception_cmd": p.ReceptionCommand, "desk_lookup": p.DeskLookup,
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
    """A command that parsed: its topic family, the device in the topic, the command, where its answer goes (the
    sending device's own reply topic, or None when it asked for none), and the digest of what it asks."""

    family: str
    device: str
    command: p.Command
    reply_to: str | None = None

    @property
    def key(self) -> str:
        return f"{self.family}:{self.device}:{self.command.id}"

    @property
    def digest(self) -> str:
        """What the command asks, whatever its bytes looked like: a reused id with another content is caught."""
        return command_digest(self.family, self.command)


def command_digest(family: str, command: p.Command) -> str:
    canonical = command.model_dump_json(exclude_none=True, exclude={"deadline"})  # when, not what: a retry may renew it
    return hashlib.sha256(f"{family}\n{canonical}".encode()).hexdigest()[:32]


class Refusal(Exception):
    """A message refused before anything was decided: a stable code, a sentence, the command's id if readable, and
    the reply topic the refusal may be answered on (only the sending device's own)."""

    def __init__(self, code: str, message: str, command_id: str | None = None, reply_to: str | None = None):
        super().__init__(message)
        self.code, self.message, self.command_id, self.reply_to = code, message, command_id, reply_to


@dataclass(frozen=True)
class Senders:
    """Who may send on which command topic, and so whose reply topic may carry the answer."""

    kiosks: frozenset[str]
    desks: frozenset[str]
    webs: frozenset[str] = frozenset()
    counters: frozenset[str] = frozenset()
    boxes: dict[str, frozenset[str]] = field(default_factory=dict)  # counter -> its button boxes

    @classmethod
    def of(cls, site: Site) -> Senders:
        boxes: dict[str, set[str]] = {}
        for b in site.button_boxes:
            boxes.setdefault(b.counter, set()).add(b.id)
        return cls(frozenset(k.id for k in site.kiosks), frozenset(d.id for d in site.reception),
                   frozenset(w.id for w in site.web), frozenset(c.id for c in site.counters),
                   {c: frozenset(ids) for c, ids in boxes.items()})

    def known(self, family: str, device: str) -> bool:
        """Whether the id in this family's topic is one of the site's."""
        ids = {"checkin": self.kiosks, "lookup": self.kiosks | self.webs, "desk_lookup": self.webs,
               "reception_cmd": self.desks, "counter_cmd": self.counters}.get(family, frozenset())
        return device in ids

    def devices(self, family: str, device: str) -> frozenset[str]:
        """The devices that may send on this family's topic for this id: only their reply topics get answers."""
        if family == "checkin":
            return frozenset({device}) & self.kiosks
        if family == "lookup":
            return frozenset({device}) & (self.kiosks | self.webs)
        if family == "desk_lookup":
            return frozenset({device}) & self.webs
        if family == "reception_cmd":
            return frozenset({device}) & self.desks
        if family == "counter_cmd":  # its button boxes and the desk pages (told also of a counter that isn't)
            return self.boxes.get(device, frozenset()) | self.webs
        return frozenset()


# the families whose sender waits for an answer: without a usable Response Topic nothing may happen
NEEDS_REPLY = frozenset({"checkin", "lookup", "desk_lookup"})


def parse(topics: p.Topics, msg: Incoming, senders: Senders) -> Request:
    """The command a message carries, or a Refusal saying precisely why it is none.

    Only the site's configured devices may send on their topics (a web server looks up a phone page's ticket like
    a kiosk scanning the slip), and the answer goes only to the sending device's own reply topic: a check-in or
    look-up whose Response Topic is missing or another one is refused before anything happens, since nobody
    would learn of its ticket.
    """
    try:
        parsed = topics.parse(msg.topic)
    except p.TopicError as exc:
        raise Refusal("unknown_topic", str(exc)) from None
    model = COMMANDS.get(parsed.spec.name)
    if model is None or parsed.param is None:  # the core subscribes to command topics only
        raise Refusal("unknown_topic", f"{msg.topic} is not a command topic")
    family, device = parsed.spec.name, parsed.param
    allowed = {topics.reply(d) for d in senders.devices(family, device)}
    reply_to = msg.response_topic if msg.response_topic in allowed else None
    try:
        command = p.parse_payload(model, msg.payload)
    except p.ProtocolError as exc:
        raise Refusal(exc.code, exc.message, exc.command_id, reply_to) from None
    except Exception as exc:  # anything the parser did not foresee is still just bad input
        raise Refusal("bad_payload", f"unreadable payload ({type(exc).__name__})", None, reply_to) from None
    if not senders.known(family, device):
        raise Refusal("unknown_device", f"{device[:40]!r} is not configured at this site", command.id,
                      reply_to)
    if reply_to is None and (family in NEEDS_REPLY or msg.response_topic is not None):
        given = "none" if msg.response_topic is None else repr(msg.response_topic[:80])
        raise Refusal("bad_reply_topic", f"Response Topic {given}: set it to your own reply topic "
                                         f"({topics.reply('<device id>')}); nothing was changed", command.id)
    return Request(family, device, command, reply_to)


@dataclass(frozen=True)
class Answered:
    """The first answer to a command id, and the digest of what that command asked (None if stored before 0005)."""

    reply: str
    digest: str | None

    def same_command(self, request: Request) -> bool:
        return self.digest is None or self.digest == request.digest


class ReplyMemory:
    """The answers already given, by command key: recent ones in memory, those of the last two days in the store.

    A repeated command id is answered with its first answer, also after a restart, and never applied again; the
    caller checks with `Answered.same_command` that the repeat asks the same (an id reused for another command
    is refused, never answered with the other's reply).
    """

    def __init__(self, store: Store, cache_size: int = 20_000):
        self.store = store
        self.cache_size = cache_size
        self._recent: dict[str, Answered] = {}  # insertion-ordered: the oldest is dropped first
        self._stored: set[str] = set()
        self._journal: list[str] | None = None  # keys remembered since `begin` (a group commit not yet stored)

    def begin(self) -> None:
        """A group commit starts: remember which answers it adds, in case it is not stored."""
        self._journal = []

    def end(self, stored: bool) -> None:
        """The group commit is over; if it was not stored, its answers are forgotten again."""
        journal, self._journal = self._journal or [], None
        if not stored:
            for key in journal:
                self._recent.pop(key, None)
                self._stored.discard(key)

    def reload(self, now: datetime) -> None:
        """Learn which keys the store answers for (at start, and after storage failures)."""
        self._stored = self.store.reply_keys_since(now - REPLY_MEMORY)

    def known(self, key: str) -> Answered | None:
        """The first answer to this command, or None for a command not seen before."""
        cached = self._recent.get(key)
        if cached is not None:
            return cached
        found = self.store.reply_for(key) if key in self._stored else None
        return Answered(*found) if found is not None else None

    def remember(self, key: str, reply: str, digest: str | None, now: datetime) -> None:
        """Keep an answer the store now holds."""
        self._recent[key] = Answered(reply, digest)
        self._stored.add(key)
        if self._journal is not None:
            self._journal.append(key)
        if len(self._stored) > 200_000:  # a core that runs for months: keep only recent days
            self.reload(now)
        if len(self._recent) > self.cache_size:
            del self._recent[next(iter(self._recent))]
