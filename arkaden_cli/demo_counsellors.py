"""The simulated counsellors of `arkaden simulate` and the demo: call, serve, recall, no-show, hand over, refer, pause.

A counsellor sends counter commands over MQTT, or, at a counter with a button box (`CounterKeys`, the demo's
`demo_boxes.SimulatedBox`), presses the box's keys; the box's display then says what the core made of the
press. A box has no start, handover or referral key, so its counsellors only call, recall, mark no-shows,
finish and pause. The morning (arkaden_cli.simulate) schedules their steps and owns the clock.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

import queue_protocol as p
from arkaden_cli.population import NO_SHOW_SHARE, PAUSE_SHARE, REFER_SHARE, REFERRALS, TRANSFER_SHARE, TRANSFERS
from queue_rules.site import Site

R = TypeVar("R", bound=p.Payload)
# what a counsellor's action is on a button box
BOX_KEYS = {"next": "NEXT", "recall": "RECALL", "done": "DONE", "no_show": "NOSHOW", "pause": "PAUSE",
            "resume": "PAUSE"}


@dataclass
class Known:
    """What the simulation knows about a ticket it issued (never published)."""

    service: str
    party_size: int
    interpreter: bool


class KeyAnswer(Protocol):
    """What the box showed after the press: the command id, the display's text, the refusal's error code."""

    @property
    def command_id(self) -> str: ...

    @property
    def shown(self) -> str: ...

    @property
    def refused(self) -> str: ...

    @property
    def number(self) -> str | None: ...


class CounterKeys(Protocol):
    """A counter's button box: a key press, answered once the bridge acknowledged it."""

    def press(self, key: str, timeout: float = ...) -> KeyAnswer | None: ...


class Floor(Protocol):
    """What the counsellors use of the morning: its clock, its schedule, its requests and its printout."""

    site: Site
    rng: random.Random
    topics: p.Topics
    tickets: dict[str, Known]
    stats: dict[str, int]

    def sim_minutes(self) -> float: ...

    def schedule(self, after_min: float, kind: str, counter: str | None = None, *,
                 base: float | None = None) -> None: ...

    def say(self, what: str, text: str) -> None: ...

    def new_id(self) -> str: ...

    def request(self, topic: str, command: p.Command, reply: type[R]) -> R | None: ...

    def refused(self, who: str, reply: p.CheckInReply | p.CommandResult | None, number: str | None = None) -> bool: ...

    def service_label(self, service_id: str) -> str: ...


class Counsellors:
    """Every counter's counsellor; ``counter_<step>(counter)`` is one step, scheduled by the morning."""

    def __init__(self, floor: Floor, boxes: Mapping[str, CounterKeys] | None = None):
        self.floor = floor
        self.site = floor.site
        self.rng = floor.rng
        self.boxes = dict(boxes or {})
        self.current: dict[str, str | None] = {c.id: None for c in self.site.counters}
        self.waiting_at: dict[str, int] = {}  # from the public counter states, like a button box shows
        self.called_at: dict[str, float] = {}
        services = {s.id for s in self.site.services}
        self.transfers = {src: [(dst, note) for dst, note in dests if dst in services]
                          for src, dests in TRANSFERS.items() if src in services}

    def _counter(self, counter: str, action: p.CounterAction, to_service: str | None = None,
                 note: str = "") -> p.CommandResult | None:
        box = self.boxes.get(counter)
        if box is not None:
            return self._press(box, action)
        command = p.CounterCommand(id=self.floor.new_id(), action=action, to_service=to_service, note=note)
        return self.floor.request(self.floor.topics.counter_cmd(counter), command, p.CommandResult)

    @staticmethod
    def _press(box: CounterKeys, action: p.CounterAction) -> p.CommandResult | None:
        """The counsellor presses the key on the box; the box's display says what the core made of it."""
        answer = box.press(BOX_KEYS[action])
        if answer is None:
            return None
        error = p.ErrorInfo(code=answer.refused, message=f"the box shows {answer.shown!r}") if answer.refused \
            else None
        return p.CommandResult(id=answer.command_id, ok=error is None, number=answer.number, error=error)

    def _where(self, counter_id: str) -> str:
        counter = self.site.counter(counter_id)
        return f"{self.site.room(counter.room).number} {counter.label}"

    def _refused(self, counter: str, reply: p.CommandResult | None, number: str | None = None) -> bool:
        return self.floor.refused(self._where(counter), reply, number)

    def _say(self, what: str, counter: str, text: str, key: str = "") -> None:
        self.floor.say(what, text + (f"  [box: {key}]" if key and counter in self.boxes else ""))

    def _service_minutes(self, counter_id: str, number: str) -> float:
        known = self.floor.tickets.get(number)
        service = known.service if known else self.site.counter(counter_id).services[0]
        base = self.site.service(service).minutes
        if known:
            base *= 1 + 0.08 * (known.party_size - 1) + (0.2 if known.interpreter else 0)
        return min(max(self.rng.lognormvariate(math.log(base), 0.35), 2.0), base * 3)

    def _later(self, after: float, step: str, counter: str) -> None:
        self.floor.schedule(after, step, counter)

    def counter_next(self, counter: str) -> None:
        waiting = self.waiting_at.get(counter)
        if waiting == 0 and self.current[counter] is None and counter in self.called_at:
            self._later(self.rng.uniform(0.5, 1.5), "next", counter)  # nobody waiting: look again soon
            return
        reply = self._counter(counter, "next")
        if self._refused(counter, reply):
            self._later(1 + self.rng.random(), "next", counter)
            return
        assert reply is not None
        number = reply.number
        self.called_at[counter] = self.floor.sim_minutes()
        self.current[counter] = number
        if not number:
            self._later(self.rng.uniform(1, 2), "next", counter)
            return
        self.floor.stats["calls"] += 1
        self._say("call", counter, f"{number} → {self._where(counter)}", "NEXT")
        if self.rng.random() < NO_SHOW_SHARE:
            self._later(self.rng.uniform(2.5, 4), "recall", counter)
        else:
            self._later(self.rng.uniform(0.5, 2.5), "start", counter)

    def counter_recall(self, counter: str) -> None:
        number = self.current[counter]
        reply = self._counter(counter, "recall")
        if self._refused(counter, reply, number):
            self._reset(counter)
            return
        self._say("recall", counter, f"{number} → {self._where(counter)}", "RECALL")
        if self.rng.random() < 0.5:
            self._later(self.rng.uniform(0.5, 2), "start", counter)  # the client heard it after all
        else:
            self._later(self.rng.uniform(2.5, 4), "no_show", counter)

    def counter_no_show(self, counter: str) -> None:
        number = self.current[counter]
        reply = self._counter(counter, "no_show")
        if not self._refused(counter, reply, number):
            self._say("noshow", counter, f"{number}   {self._where(counter)}", "NOSHOW")
        self._reset(counter, after=self.rng.uniform(0.3, 1))

    def counter_start(self, counter: str) -> None:
        number = self.current[counter]
        if counter not in self.boxes:  # a box has no start key: its counsellor just begins
            reply = self._counter(counter, "start")
            if self._refused(counter, reply, number):
                self._reset(counter)
                return
        self._later(self._service_minutes(counter, number or ""), "finish", counter)

    def counter_finish(self, counter: str) -> None:
        number = self.current[counter] or ""
        served = self.floor.sim_minutes() - self.called_at.get(counter, self.floor.sim_minutes())
        known = self.floor.tickets.get(number)
        service = known.service if known else self.site.counter(counter).services[0]
        options = [(dst, note) for dst, note in self.transfers.get(service, []) if dst != service]
        refer_to = REFERRALS.get(service)
        if counter in self.boxes:  # handovers and referrals are not on a box's keys
            options, refer_to = [], None
        if refer_to and refer_to[0] != service and self.rng.random() < REFER_SHARE:
            reply = self._counter(counter, "refer", to_service=refer_to[0], note=refer_to[1])
            if not self._refused(counter, reply, number):
                if known:
                    known.service = refer_to[0]
                self.floor.say("refer", f"{number}  {self._where(counter)} → "
                                        f"{self.floor.service_label(refer_to[0])} and back  „{refer_to[1]}“")
        elif options and self.rng.random() < TRANSFER_SHARE:
            dst, note = self.rng.choice(options)
            reply = self._counter(counter, "transfer", to_service=dst, note=note)
            if not self._refused(counter, reply, number):
                if known:
                    known.service = dst
                self.floor.say("handover", f"{number}  {self._where(counter)} → {self.floor.service_label(dst)}  "
                                           f"„{note}“")
        else:
            reply = self._counter(counter, "done")
            if not self._refused(counter, reply, number):
                self.floor.stats["done"] += 1
                self._say("done", counter, f"{number}   {self._where(counter)} ({served:.0f} min)", "DONE")
        self.current[counter] = None
        if self.rng.random() < PAUSE_SHARE:
            reply = self._counter(counter, "pause")
            if not self._refused(counter, reply):
                self._say("pause", counter, self._where(counter), "PAUSE")
                self._later(self.rng.uniform(8, 15), "resume", counter)
                return
        self._later(self.rng.uniform(0.3, 2), "next", counter)

    def counter_resume(self, counter: str) -> None:
        reply = self._counter(counter, "resume")
        if not self._refused(counter, reply):
            self._say("resume", counter, self._where(counter), "PAUSE")
        self._later(0, "next", counter)

    def _reset(self, counter: str, after: float | None = None) -> None:
        """After a refusal or a lost reply: forget what we thought and press next again later."""
        self.current[counter] = None
        self._later(after if after is not None else 1 + self.rng.random(), "next", counter)
