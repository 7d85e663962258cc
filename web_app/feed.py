"""The web server's link to the core: one MQTT device that keeps the latest retained state and asks questions.

Every message is parsed with the protocol's own model on paho's thread and handed to the asyncio loop, where the
pages' hubs react to it (`listen`). Questions (`ask`) go out as MQTT v5 requests without blocking a thread: the
reply resolves a future on the loop. Nothing here touches a database; the core is reached over MQTT only.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

import queue_protocol as p
from device_link.link import Link
from queue_rules.site import Site

if TYPE_CHECKING:
    from device_link.broker_auth import BrokerAuth

log = logging.getLogger("arkaden.web")
R = TypeVar("R", bound=p.Payload)
ASK_TIMEOUT_S = 3.0
# a question the core has not taken within this is dropped by the broker: nobody waits for its answer any more
ASK_EXPIRY_S = 5
COMMAND_EXPIRY_S = 10  # a desk action the core did not take in time is not applied later (the page said so)


@dataclass
class Snapshot:
    """The latest retained state the core published: what every page is drawn from."""

    board: p.BoardState | None = None
    tickets: p.TicketList | None = None
    counters: dict[str, p.CounterState] = field(default_factory=dict)
    queues: dict[str, p.QueueState] = field(default_factory=dict)
    core_online: bool = False

    def current_row(self, counter: str) -> p.TicketRow | None:
        """The reception list's row of the client called to, or served at, a counter."""
        rows = self.tickets.tickets if self.tickets else []
        return next((r for r in rows if r.counter == counter and r.status in ("called", "serving")), None)


# what a listener gets: the family ("call", "event", "tickets", "board", "counter_state", "queue", "presence",
# "link") and the parsed payload (None for "link": the connection to the broker came or went)
Listener = Callable[[str, p.Payload | None], None]


class CoreFeed:
    """The retained state and the live messages of one site, for the pages; and questions to the core."""

    def __init__(self, site: Site, host: str, port: int, *, device_id: str, auth: BrokerAuth | None = None,
                 clock: Callable[[], datetime] | None = None, version: str | None = None):
        self.site = site
        self.topics = p.Topics(site.site.id)
        self.device_id = device_id
        self.clock = clock or (lambda: datetime.now(UTC))
        self.snapshot = Snapshot()
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.link = Link(site, host, port, self._out, device_id=device_id, kind="web", version=version,
                         subscriptions=[self.topics.all_public(), self.topics.tickets(), self.topics.all_events(),
                                        self.topics.presence("core")],
                         on_public=self._on_message, on_connected=lambda: self._hand("link", None),
                         on_disconnected=lambda: self._hand("link", None), auth=auth, clock=self.clock)

    # --- life ------------------------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.link.start()

    def stop(self) -> None:
        self.link.stop()

    @property
    def connected(self) -> bool:
        return self.link.connected.is_set()

    def listen(self, listener: Listener) -> None:
        """Call ``listener`` on the event loop for every message (keep it quick; it must not raise)."""
        self._listeners.append(listener)

    # --- incoming --------------------------------------------------------------------------------

    def _out(self, line: str) -> None:
        log.warning("%s", line)

    def _on_message(self, topic: str, data: dict[str, Any]) -> None:
        """paho's thread: parse with the protocol model, then hand over to the loop."""
        try:
            parsed = self.topics.parse(topic)
        except p.TopicError:
            return
        family = parsed.spec.name
        model = parsed.spec.payloads[0]
        try:
            payload = model.model_validate(data)
        except ValidationError as exc:
            log.warning("ignored a %s message that does not fit %s: %s", family, model.__name__,
                        exc.errors()[0].get("msg", "invalid"))
            return
        self._hand(family, payload)

    def _hand(self, family: str, payload: p.Payload | None) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._deliver, family, payload)
        except RuntimeError:  # the loop closed between the check and the call (shutdown)
            pass

    def _deliver(self, family: str, payload: p.Payload | None) -> None:
        """The loop's thread: update the snapshot, then tell every listener."""
        snap = self.snapshot
        if isinstance(payload, p.BoardState):
            snap.board = payload
        elif isinstance(payload, p.TicketList):
            snap.tickets = payload
        elif isinstance(payload, p.CounterState):
            snap.counters[payload.counter] = payload
        elif isinstance(payload, p.QueueState):
            snap.queues[payload.service] = payload
        elif isinstance(payload, p.DevicePresence) and payload.device == "core":
            snap.core_online = payload.online
        for listener in self._listeners:
            try:
                listener(family, payload)
            except Exception:  # one broken page must not stop the others
                log.exception("a page listener failed on %s", family)

    # --- questions and commands ------------------------------------------------------------------

    async def ask(self, topic: str, command: p.Command, reply: type[R], *, timeout: float = ASK_TIMEOUT_S,
                  expiry_s: int = ASK_EXPIRY_S) -> R | None:
        """Send a request and await the reply parsed with ``reply``; None when none came in time or it did not fit."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bytes] = loop.create_future()

        def resolve(raw: bytes) -> None:
            if not done.done():
                done.set_result(raw)

        def answered(raw: bytes) -> None:
            loop.call_soon_threadsafe(resolve, raw)

        self.link.send(topic, command, answered, expiry_s=expiry_s)
        try:
            raw = await asyncio.wait_for(done, timeout)
        except TimeoutError:
            return None
        finally:
            self.link.forget(command.id)
        try:
            return reply.model_validate_json(raw)
        except ValidationError:
            log.error("the core's reply to %s does not fit %s", command.id, reply.__name__)
            return None

    def new_id(self) -> str:
        """A command id that is new also after a restart (a counter from 1 would meet the core's stored answers)."""
        return f"{self.device_id}-{uuid.uuid4().hex[:16]}"
