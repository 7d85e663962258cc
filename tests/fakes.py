"""Test doubles of the device link for unit tests without a broker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

import queue_protocol as p
from device_link.link import REPLY_TIMEOUT_S, BadReply

R = TypeVar("R", bound=p.Payload)
Answer = Callable[[str, dict[str, Any]], dict[str, Any] | None]


class FakeCoreLink:
    """A ``device_link.link.CoreLink`` for a box or a kiosk without a broker: answers with ``answer``.

    ``answer(topic, payload)`` gets the command's body without ``v`` and ``id`` and returns a reply body without
    them (or None: no answer); that is parsed with the reply model as the real link does, so a misfit raises
    ``BadReply``.
    ``requests`` holds ``(topic, payload, command id)``.
    """

    def __init__(self, answer: Answer | None = None, *, online: bool = True, site_id: str = "mini"):
        self.topics = p.Topics(site_id)
        self.connected = threading.Event()
        if online:
            self.connected.set()
        self.answer: Answer = answer or (lambda topic, payload: {"ok": True})
        self.requests: list[tuple[str, dict[str, Any], str]] = []
        self.details: list[dict[str, str]] = []

    def request(self, topic: str, command: p.Command, reply: type[R], timeout: float = REPLY_TIMEOUT_S, *,
                expiry_s: int | None = None) -> R | None:
        payload = command.model_dump(mode="json", exclude={"v", "id"}, exclude_none=True)
        self.requests.append((topic, payload, command.id))
        answer = self.answer(topic, dict(payload))
        if answer is None:  # no answer: like the real link, this took a while
            time.sleep(min(timeout, 0.05))
            return None
        try:
            return reply.model_validate({"v": 1, "id": command.id, **answer})
        except ValidationError:
            raise BadReply(f"the reply to {command.id} is not a valid {reply.__name__}") from None

    def set_presence_detail(self, detail: dict[str, str]) -> None:
        self.details.append(dict(detail))

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass
