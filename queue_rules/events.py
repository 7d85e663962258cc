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
    eligible_at: datetime
    order_at: datetime = Field(
        description="position in the queue: arrival for walk-ins, slot less the early window for bookings")


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
    | TicketTransferred | TicketReturned | TicketMoved | TicketCancelled | PriorityChanged | CounterOpened
    | CounterPaused,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_from_json(data: str | bytes) -> Event:
    return EVENT_ADAPTER.validate_json(data)
