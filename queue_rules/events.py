"""Domain events: every state change of the queue, as stored in the append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: AwareDatetime
    actor: str = Field(description="device or person that caused the change")


class _TicketEvent(_Event):
    ticket: str


class PlanStop(BaseModel):
    """A stop still ahead on a ticket's journey today: a booked slot, or a return after a referral."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str
    slot: datetime | None = Field(default=None, description="booked time; none: queued at once (a return)")
    minutes: int = 0
    booking: int | None = Field(default=None, description="the booking's id, when it came from one")
    priority: int | None = Field(default=None, description="waits with this priority (a return from a referral)")


class TicketIssued(_TicketEvent):
    type: Literal["ticket_issued"] = "ticket_issued"
    number: str
    seq: int = Field(description="the number's position in its agency's daily sequence")
    offline: bool = Field(default=False, description="issued by a kiosk from its own block while the core was away")
    agency: str
    service: str
    token: str = Field(description="opaque token printed as QR code")
    language: str
    party_size: int = 1
    interpreter: bool = False
    step_free: bool = False
    priority: int = 0
    booking_code: str | None = None
    slot: datetime | None = None
    slot_minutes: int = 0
    eligible_at: datetime
    order_at: datetime = Field(
        description="position in the queue: arrival for walk-ins, slot less the early window for bookings")
    arrived_at: datetime | None = Field(default=None, description="when the client arrived (none: `at`, or "
                                        "order_at for an offline ticket)")
    journey: str | None = Field(default=None, description="the journey's booking code")
    bookings: list[int] = Field(default_factory=list, description="the bookings this check-in covers")
    plan: list[PlanStop] = Field(default_factory=list, description="today's further stops, in order")
    see_reception: bool = Field(default=False, description="late for the slot; the agency sends the client to "
                                                           "reception, so the ticket starts parked")
    announce: bool = Field(default=False, description="the client chose to hear his calls in his language too")


class TicketCalled(_TicketEvent):
    type: Literal["ticket_called"] = "ticket_called"
    counter: str


class TicketRecalled(_TicketEvent):
    type: Literal["ticket_recalled"] = "ticket_recalled"
    counter: str


class ServiceStarted(_TicketEvent):
    type: Literal["service_started"] = "service_started"
    counter: str


class TicketCompleted(_TicketEvent):
    type: Literal["ticket_completed"] = "ticket_completed"
    counter: str


class TicketNoShow(_TicketEvent):
    type: Literal["ticket_no_show"] = "ticket_no_show"
    counter: str


class TicketParked(_TicketEvent):
    type: Literal["ticket_parked"] = "ticket_parked"
    counter: str


class TicketTransferred(_TicketEvent):
    """Warm handover: the visit moves on to another service, keeping its place in time and a note."""

    type: Literal["ticket_transferred"] = "ticket_transferred"
    counter: str
    to_service: str
    note: str = ""


class TicketReferred(_TicketEvent):
    """Referral with return: the client goes to another service, then back to this one with priority."""

    type: Literal["ticket_referred"] = "ticket_referred"
    counter: str
    to_service: str
    back_to: str
    back_priority: int
    note: str = ""


class StopBooked(_TicketEvent):
    """Refer with appointment: a slot at another service later today or tomorrow, under the journey's code."""

    type: Literal["stop_booked"] = "stop_booked"
    counter: str
    journey: str = Field(description="the journey's code (new when the ticket had none)")
    service: str
    slot: datetime
    minutes: int
    note: str = ""


class TicketAdvanced(_TicketEvent):
    """The visit moves on to its next planned stop by itself: at once, or from its slot less the early window."""

    type: Literal["ticket_advanced"] = "ticket_advanced"
    service: str
    eligible_at: datetime
    order_at: datetime
    priority: int
    missed: bool = Field(default=False, description="the stop before was missed (no-show)")
    note: str = Field(default="", description="the finishing counsellor's internal note for the next stop")
    handover: bool = Field(default=False, description="a note was handed over (stays when the note is deleted)")


class PlanRevised(_TicketEvent):
    """The visit's stops still ahead today, as the bookings now stand (an agency moved or cancelled one)."""

    type: Literal["plan_revised"] = "plan_revised"
    plan: list[PlanStop]


class TicketReturned(_TicketEvent):
    """A parked or no-show client is back and waits again at the original place."""

    type: Literal["ticket_returned"] = "ticket_returned"


class TicketMoved(_TicketEvent):
    type: Literal["ticket_moved"] = "ticket_moved"
    to_service: str


class TicketCancelled(_TicketEvent):
    type: Literal["ticket_cancelled"] = "ticket_cancelled"
    reason: str = ""


class PriorityChanged(_TicketEvent):
    type: Literal["priority_changed"] = "priority_changed"
    priority: int


class CounterOpened(_Event):
    type: Literal["counter_opened"] = "counter_opened"
    counter: str


class CounterPaused(_Event):
    type: Literal["counter_paused"] = "counter_paused"
    counter: str


Event = Annotated[
    TicketIssued | TicketCalled | TicketRecalled | ServiceStarted | TicketCompleted | TicketNoShow | TicketParked
    | TicketTransferred | TicketReferred | StopBooked | TicketAdvanced | PlanRevised | TicketReturned | TicketMoved
    | TicketCancelled | PriorityChanged | CounterOpened | CounterPaused,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_from_json(data: str | bytes) -> Event:
    return EVENT_ADAPTER.validate_json(data)
