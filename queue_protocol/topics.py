"""The MQTT topic tree: every topic string is built and parsed here, nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from queue_protocol import payloads as p

ROOT = "arkaden/v1"
Audience = Literal["public", "private", "device"]


@dataclass(frozen=True)
class TopicSpec:
    """One family of topics, as documented in docs/protocol.md."""

    name: str
    pattern: str  # below the site root; {placeholders} are single levels
    direction: str
    qos: int
    retained: bool
    audience: Audience
    payloads: tuple[type[p.Payload], ...]
    about: str


SPECS: tuple[TopicSpec, ...] = (
    TopicSpec("checkin", "cmd/checkin/{kiosk}", "kiosk → core", 1, False, "private", (p.CheckIn,),
              "Check a client in. MQTT v5 request: Response Topic and Correlation Data are required; "
              "the reply is a CheckInReply."),
    TopicSpec("lookup", "cmd/lookup/{kiosk}", "kiosk → core", 1, False, "private", (p.LookupBooking,),
              "Ask for a booking code's appointments today; reply is a LookupReply."),
    TopicSpec("counter_cmd", "cmd/counter/{counter}", "desk/button box → core", 1, False, "private",
              (p.CounterCommand,), "Counter commands; a Response Topic, if set, gets a CommandResult."),
    TopicSpec("reception_cmd", "cmd/reception/{desk}", "reception → core", 1, False, "private",
              (p.ReceptionCommand,), "Reception actions on a ticket; optional CommandResult reply."),
    TopicSpec("desk_lookup", "cmd/desk/{web}", "web server → core", 1, False, "private", (p.DeskLookup,),
              "A desk page's question (a ticket's journey, a service's free slots); reply is a DeskReply."),
    TopicSpec("reply", "reply/{device}", "core → device", 1, False, "private",
              (p.CheckInReply, p.LookupReply, p.DeskReply, p.CommandResult),
              "Where devices ask for their replies (their Response Topic); carries the Correlation Data back."),
    TopicSpec("call", "public/call", "core → displays", 1, False, "public", (p.TicketCalled,),
              "A number is called or recalled."),
    TopicSpec("board", "public/board", "core → displays", 1, True, "public", (p.BoardState,),
              "The whole board; a display that boots shows it at once."),
    TopicSpec("queue", "public/queue/{service}", "core → displays, reception", 1, True, "public",
              (p.QueueState,), "One service's waiting count and estimated wait."),
    TopicSpec("counter_state", "public/counter/{counter}", "core → button boxes, displays", 1, True, "public",
              (p.CounterState,), "One counter's status and current number."),
    TopicSpec("tickets", "private/tickets", "core → reception", 1, True, "private", (p.TicketList,),
              "Today's open tickets with their details, for reception only."),
    TopicSpec("event", "private/event/{type}", "core → reception, audit", 1, False, "private", (p.AuditEvent,),
              "Every committed state change, after it is stored."),
    TopicSpec("error", "private/error", "core → reception", 1, False, "private", (p.CommandRejected,),
              "A refused command, with the reason."),
    TopicSpec("presence", "presence/{device}", "every device", 1, True, "device", (p.DevicePresence,),
              "Retained presence; each device sets a Last Will with online=false."),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}


class TopicError(ValueError):
    pass


@dataclass(frozen=True)
class ParsedTopic:
    spec: TopicSpec
    param: str | None


class Topics:
    """Topic builders and parsers for one site."""

    def __init__(self, site_id: str):
        self.site_id = site_id
        self.root = f"{ROOT}/{site_id}"

    def _build(self, name: str, param: str | None = None) -> str:
        pattern = SPEC_BY_NAME[name].pattern
        if "{" in pattern:
            if not param or "/" in param or "+" in param or "#" in param:
                raise TopicError(f"bad topic parameter {param!r} for {name}")
            pattern = pattern[: pattern.index("{")] + param
        return f"{self.root}/{pattern}"

    def checkin(self, kiosk: str) -> str:
        return self._build("checkin", kiosk)

    def lookup(self, kiosk: str) -> str:
        return self._build("lookup", kiosk)

    def counter_cmd(self, counter: str) -> str:
        return self._build("counter_cmd", counter)

    def reception_cmd(self, desk: str) -> str:
        return self._build("reception_cmd", desk)

    def desk_lookup(self, web: str) -> str:
        return self._build("desk_lookup", web)

    def reply(self, device: str) -> str:
        return self._build("reply", device)

    def call(self) -> str:
        return self._build("call")

    def board(self) -> str:
        return self._build("board")

    def queue(self, service: str) -> str:
        return self._build("queue", service)

    def counter_state(self, counter: str) -> str:
        return self._build("counter_state", counter)

    def tickets(self) -> str:
        return self._build("tickets")

    def event(self, event_type: str) -> str:
        return self._build("event", event_type)

    def error(self) -> str:
        return self._build("error")

    def presence(self, device: str) -> str:
        return self._build("presence", device)

    # subscription filters
    def all_commands(self) -> str:
        return f"{self.root}/cmd/#"

    def all_public(self) -> str:
        return f"{self.root}/public/#"

    def all_presence(self) -> str:
        return f"{self.root}/presence/+"

    def all_events(self) -> str:
        return f"{self.root}/private/event/+"

    def parse(self, topic: str) -> ParsedTopic:
        """Which family a concrete topic belongs to, and its parameter."""
        prefix = self.root + "/"
        if not topic.startswith(prefix):
            raise TopicError(f"topic {topic!r} is not under {self.root}")
        if "+" in topic or "#" in topic:
            raise TopicError(f"topic {topic!r} contains a wildcard")
        levels = topic[len(prefix):].split("/")
        for spec in SPECS:
            want = spec.pattern.split("/")
            if len(want) != len(levels):
                continue
            param = None
            for w, got in zip(want, levels, strict=True):
                if w.startswith("{"):
                    param = got
                elif w != got:
                    break
            else:
                if param == "":
                    raise TopicError(f"empty parameter in {topic!r}")
                return ParsedTopic(spec, param)
        raise TopicError(f"unknown topic {topic!r}")
