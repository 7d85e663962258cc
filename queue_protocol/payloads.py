"""Versioned MQTT payload models: commands (imperative), events (past tense), state (nouns)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 16 * 1024

# Every refusal's code, what it means, and whether sending the same command again later can succeed.
ERROR_CODES: dict[str, tuple[str, bool]] = {
    "too_large": ("payload over the size limit", False),
    "bad_json": ("payload is not a JSON object (or nested too deeply)", False),
    "unsupported_version": ("schema version `v` is not one this core speaks", False),
    "bad_payload": ("a field is missing, unknown or invalid; the message names it", False),
    "unknown_topic": ("topic is not part of this site's protocol", False),
    "unknown_device": ("the device id in the topic is not in the site file (a kiosk, counter, reception desk or "
                       "web server)", False),
    "bad_reply_topic": ("Response Topic missing where an answer is required (check-in, look-ups), or not the "
                        "sending device's own `reply/<device id>`: nothing changed, since nobody would learn of it",
                        False),
    "id_reused": ("this device used the command id before for a different command: nothing changed, and the "
                  "earlier command's answer is not repeated; give every command a new id", False),
    "unknown_concern": ("no such kiosk tile", False),
    "appointment_only": ("this concern needs a booked appointment", False),
    "closed": ("the agency is closed now", True),
    "no_booking": ("no open appointment today for this booking code", False),
    "checked_in": ("this code's appointments today are checked in already: the slip shows the number", False),
    "mistyped_code": ("the booking code's check character does not fit: a typo, ask the client to check it", False),
    "note_not_kept": ("refer with appointment for another day with a note: notes are not kept overnight", False),
    "slot_taken": ("refer with appointment: that slot of the other service is not free (or not open)", False),
    "rate_limited": ("too many unknown booking codes from this kiosk lately; wait a few minutes", True),
    "bad_offline_number": ("an offline number outside the sending kiosk's own block", False),
    "number_taken": ("that offline number was already handed in today", False),
    "offline_expired": ("an offline ticket of an earlier day: never merged into today's queue (the client has "
                        "gone home or checks in again)", False),
    "superseded": ("an online check-in that its kiosk already replaced by an offline ticket (`replaces`): the "
                   "offline ticket stands, this one is not issued", False),
    "duplicate_ticket": ("internal: a ticket id collided", True),
    "unknown_service": ("no such service", False),
    "unknown_ticket": ("no such ticket today (id or number)", False),
    "unknown_action": ("no such action", False),
    "no_current_ticket": ("the counter has no client at the moment", False),
    "wrong_state": ("the ticket is not in a state that allows this action", False),
    "missing_field": ("the action needs a field that is missing (e.g. to_service)", False),
    "same_service": ("a transfer to the service the ticket is already at", False),
    "busy": ("finish the current client before pausing", False),
    "bad_priority": ("priority must be 0 to 9", False),
    "expired": ("the command reached the core after its `deadline`: nothing changed (the sender said so)", False),
    "storage": ("the core could not store the change; nothing changed", True),
    "internal": ("a bug in the core; nothing changed, the core keeps running", True),
}

COMMAND_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"  # at most 64 characters; also what a refusal may repeat back
CommandId = Annotated[str, Field(min_length=1, max_length=64, pattern=COMMAND_ID_PATTERN,
                                 description="unique per command; a repeat with the same id is answered, "
                                             "not re-applied")]
Ident = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
CounterAction = Literal["next", "recall", "start", "done", "no_show", "park", "transfer", "refer", "book", "pause",
                        "resume"]
ReceptionAction = Literal["move", "priority", "cancel", "return"]


class Payload(BaseModel):
    """Every payload carries its schema version `v`; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    v: Literal[1] = 1  # SCHEMA_VERSION

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


# --- commands: imperative, with an id, QoS 1 -----------------------------------------------------


class Command(Payload):
    """What every command has: its id. A repeat with the same id is answered, not applied again."""

    id: CommandId


class CheckIn(Command):
    """A kiosk checks a client in: a walk-in by concern, or a booked client by booking code.

    Sent as MQTT v5 request: set Response Topic (the kiosk's reply topic) and Correlation Data.
    """

    concern: Ident | None = Field(default=None, description="walk-in: the concern tile chosen")
    booking_code: str | None = Field(default=None, min_length=4, max_length=32, pattern=r"^[A-Za-z0-9-]+$")
    language: str = Field(default="de", pattern=r"^[a-z]{2,3}$", description="UI language = interpreter language")
    party_size: int = Field(default=1, ge=1, le=20)
    interpreter: bool = False
    step_free: bool = False
    announce: bool | None = Field(default=None, description=(
        "true: the client chose \"also call my number in my language\" (told that people nearby will hear it); "
        "only then do his calls carry `announce`, the language code, on the public topic. Left out otherwise "
        "(a core from before this field refuses unknown fields)"))
    offline_number: int | None = Field(default=None, ge=1, le=999,
                                       description="number the kiosk issued from its own block while offline")
    issued_at: AwareDatetime | None = Field(default=None, description="when an offline ticket was really issued; "
                                           "honoured only if today and within the site's offline_max_minutes")
    replaces: CommandId | None = Field(default=None, description=(
        "offline tickets only: the id of the online check-in this kiosk sent for the same client and got no "
        "answer to in time. The core then never lets that check-in stand beside this ticket: an online ticket "
        "it issued for it is cancelled, and if it arrives later it is refused as `superseded`"))

    @model_validator(mode="after")
    def _one_kind(self) -> CheckIn:
        if (self.concern is None) == (self.booking_code is None):
            raise ValueError("give exactly one of concern or booking_code")
        if (self.offline_number is None) != (self.issued_at is None):
            raise ValueError("offline_number and issued_at go together")
        if self.replaces is not None and self.offline_number is None:
            raise ValueError("replaces is for offline tickets only")
        return self


class LookupBooking(Command):
    """A kiosk asks which appointments a booking code has today, or where a scanned slip's ticket stands.

    Request/response like CheckIn; give exactly one of ``booking_code`` and ``ticket_token``.
    """

    booking_code: str | None = Field(default=None, min_length=4, max_length=32, pattern=r"^[A-Za-z0-9-]+$")
    ticket_token: str | None = Field(default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                     description="the token from a slip's QR code (after the ARKADEN-T: prefix)")

    @model_validator(mode="after")
    def _one_kind(self) -> LookupBooking:
        if (self.booking_code is None) == (self.ticket_token is None):
            raise ValueError("give exactly one of booking_code or ticket_token")
        return self


MAX_NOTE = 500


class CounterCommand(Command):
    """A counsellor's desk (button box or desk window) commands its counter.

    Handing a client on: `transfer` (warm handover: the client waits at `to_service` keeping his arrival time),
    `refer` (referral with return: to `to_service`, then back to this service with priority) and `book` (refer
    with appointment: a free `slot` of `to_service` later today or tomorrow, same number, no new slip). Each
    may carry an internal `note` for the next counsellor, and so may `done` and `next` when the visit goes on
    to its journey's next stop; notes never reach a public topic and are deleted when the visit closes.
    """

    action: CounterAction
    to_service: Ident | None = Field(default=None, description="transfer, refer, book: the next service")
    note: str = Field(default="", max_length=MAX_NOTE,
                      description="internal note for the next counsellor (transfer, refer, book; done "
                                  "and next on a journey)")
    slot: AwareDatetime | None = Field(default=None, description="book only: the slot booked at to_service")
    operator: str | None = Field(default=None, min_length=1, max_length=40,
                                 pattern=r"^[^\x00-\x1f\x7f-\x9f:\u202a-\u202e\u2066-\u2069]+$",
                                 description="a desk page's account, recorded in the event log with the counter "
                                             "(a button box sends none)")
    deadline: AwareDatetime | None = Field(default=None, description=(
        "not to be carried out after this time: a desk page that gave up waiting has told the counsellor "
        "'not carried out', so a command that arrives later (a stalled core, a broker that kept it) is refused "
        "as `expired`"))


class DeskLookup(Command):
    """A web server's question for a counsellor's desk page; give exactly one field.

    `ticket`: a ticket's journey (today's and later stops) by ticket id, as a TicketInfo. `free_slots`: the free
    slots of a service later today and tomorrow, for refer with appointment. Answered with a DeskReply.
    """

    ticket: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    free_slots: Ident | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> DeskLookup:
        if (self.ticket is None) == (self.free_slots is None):
            raise ValueError("give exactly one of ticket or free_slots")
        return self


class ReceptionCommand(Command):
    """Reception acts on one ticket; `operator` is recorded in the event log."""

    action: ReceptionAction
    ticket: str = Field(min_length=1, max_length=64, description="ticket id, or today's number like J-017")
    operator: str = Field(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+$")
    to_service: Ident | None = None
    priority: int | None = Field(default=None, ge=0, le=9)
    reason: str = Field(default="", max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")


# --- replies: on the requester's response topic -------------------------------------------------


class ErrorInfo(BaseModel):
    """Why a command was refused: a stable `code` (see the error table) and a sentence for people."""

    code: str
    message: str


StopStatus = Literal["planned", "waiting", "called", "serving", "done", "missed", "cancelled"]


class JourneyStop(BaseModel):
    """One stop of a client's journey through the house (private: only to the client's own device)."""

    service: str
    agency: str
    slot: datetime | None = Field(default=None, description="the booked time; absent for a walk-in stop")
    minutes: int = 0
    status: StopStatus
    rooms: list[str]
    floor: int
    queued_from: datetime | None = Field(default=None, description=(
        "when the client is (or was) queued there: at once, or from the slot less the early window"))


class IssuedTicket(BaseModel):
    """What a kiosk needs to print a slip. The token is secret to the client: it never goes public."""

    number: str
    token: str
    service: str
    agency: str
    rooms: list[str] = Field(description="room numbers of the counters that serve the service")
    floor: int
    waiting_ahead: int
    estimated_wait_min: int
    issued_at: datetime
    queued_from: datetime | None = Field(default=None, description="a booked client: called from this time on")
    see_reception: bool = Field(default=False, description="late for the booked slot: the agency asks the client "
                                                           "to go to reception first")
    stops: list[JourneyStop] = Field(default_factory=list, description=(
        "a journey: every stop of today and later days, in order (the first is this ticket's)"))


class CheckInReply(Payload):
    """Reply to CheckIn: the ticket (always, when `ok`), or the error. `id` repeats the command's id."""

    id: CommandId
    ok: bool
    ticket: IssuedTicket | None = None
    error: ErrorInfo | None = None

    @model_validator(mode="after")
    def _ok_has_ticket(self) -> CheckInReply:
        if self.ok and self.ticket is None:
            raise ValueError("an ok reply carries the ticket")
        return self


class Appointment(BaseModel):
    """One appointment of a booking code (private: only in LookupReply); today's first, then later days'."""

    service: str
    slot: datetime
    minutes: int = 30
    party_size: int
    language: str
    checked_in: bool
    today: bool = True


class TicketInfo(BaseModel):
    """Where a ticket stands (private: only in a LookupReply or DeskReply, to the device that asked)."""

    id: str = Field(description="the ticket id (as in the reception list and the event log)")
    language: str = Field(description="the language chosen at check-in: a phone page starts in it")
    number: str
    service: str
    agency: str
    status: Literal["waiting", "called", "serving", "done", "no_show", "parked", "cancelled", "transferred"]
    rooms: list[str] = Field(description="rooms of the counters serving the ticket's current service")
    floor: int
    counter: str | None = Field(default=None, description="when called or serving: the counter's label")
    counter_room: str | None = None
    waiting_ahead: int
    estimated_wait_min: int
    queued_from: datetime | None = Field(default=None, description="waiting for a later slot: queued from then")
    stops: list[JourneyStop] = Field(default_factory=list, description="a journey: all its stops, in order")


class LookupReply(Payload):
    """Reply to LookupBooking: today's appointments of the code, or the scanned ticket, or the error."""

    id: CommandId
    ok: bool
    appointments: list[Appointment] = Field(default_factory=list)
    booking_code: str | None = Field(default=None, description=(
        "a scanned slip whose visit a desk booked into a later day: the journey's code, to check in with"))
    ticket: TicketInfo | None = None
    error: ErrorInfo | None = None


class DeskReply(Payload):
    """Reply to DeskLookup: the ticket's journey, or the free slots, or the error."""

    id: CommandId
    ok: bool
    ticket: TicketInfo | None = None
    slots: list[datetime] = Field(default_factory=list, description="free_slots: start times, soonest first")
    error: ErrorInfo | None = None


class CommandResult(Payload):
    """Reply to a counter or reception command (when a response topic was given)."""

    id: CommandId
    ok: bool
    number: str | None = Field(default=None, description="the number now at the counter, if any")
    error: ErrorInfo | None = None


# --- events -------------------------------------------------------------------------------------


class BoardCall(BaseModel):
    """One call on the board: which number goes to which room and counter."""

    number: str
    counter: str
    counter_label: str
    room: str
    floor: int
    agency: str
    at: AwareDatetime


class TicketCalled(Payload, BoardCall):
    """Public: a number is called (or recalled) to a counter. Numbers, rooms and counters only."""

    recall: bool = False
    announce: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$", description=(
        "a language code, only when the client chose at check-in to hear his call in his language: the displays "
        "say the number and room in German and then in it (a code, never a name)"))


class CommandRejected(Payload):
    """Private: a command was refused; says why. Also sent as reply when a response topic was given."""

    command_id: str | None = Field(default=None, description="the refused command's id, when it was readable")
    topic: str
    code: str
    message: str
    at: AwareDatetime


class AuditEvent(Payload):
    """Private: one entry of the event log as it was committed (type, ticket, actor, details)."""

    seq: int
    type: str
    at: AwareDatetime
    actor: str
    data: dict[str, Any]


# --- retained state -----------------------------------------------------------------------------


class QueueState(Payload):
    """Public, retained: one service's queue."""

    service: str
    agency: str
    service_name: dict[str, str]
    waiting: int
    estimated_wait_min: int
    open_counters: int
    at: AwareDatetime


class CounterState(Payload):
    """Public, retained: one counter; what its button box shows (e.g. `J-017  W:5`)."""

    counter: str
    label: str
    room: str
    status: Literal["closed", "open", "paused"]
    number: str | None = Field(default=None, description="the number at the counter; absent when none")
    waiting: int
    at: AwareDatetime


class BoardQueue(BaseModel):
    """One service's queue on the board: counts only."""

    service: str
    agency: str
    waiting: int
    estimated_wait_min: int


class BoardLater(BaseModel):
    """A number queued at a room from a later time (its next booked stop): number, room and time only."""

    number: str
    room: str
    floor: int
    agency: str
    at: AwareDatetime


class BoardState(Payload):
    """Public, retained: everything a wall display needs at boot, in one message."""

    current: list[BoardCall]
    recent: list[BoardCall]
    queues: list[BoardQueue]
    later: list[BoardLater] = Field(default_factory=list, description="at most 10, soonest first")
    at: AwareDatetime


class TicketRow(BaseModel):
    """One open ticket for reception (private)."""

    id: str
    number: str
    service: str
    status: str
    priority: int
    arrived_at: datetime
    counter: str | None = Field(default=None, description="the counter it is at; absent when none")
    language: str
    party_size: int
    interpreter: bool
    step_free: bool
    booked: bool
    note: str
    note_cut: bool | None = Field(default=None, description=(
        "true: the note is longer than shown, the list was kept under its size limit (the next desk sees it whole)"))
    journey_stops: int = Field(default=0, description="stops still ahead on this ticket's journey today")
    missed: int = Field(default=0, description="booked stops of the journey missed today (no-show or too late)")
    see_reception: bool = Field(default=False, description="sent to reception (late for the slot)")


class TicketList(Payload):
    """Private, retained: today's open tickets for reception, at the front of the queues first."""

    tickets: list[TicketRow] = Field(description=(
        "at most 150 rows and 56 000 bytes: active ones, then in queue order; long notes shortened if needed"))
    more: int = Field(default=0, description="open tickets not listed because of the limits")
    at: AwareDatetime


class DevicePresence(Payload):
    """Retained per device; the device's Last Will publishes it with online=false."""

    device: str
    kind: str
    online: bool
    at: AwareDatetime | None = None
    version: str | None = None
    # kind: core, kiosk, printer, display, button_box, reception
    detail: dict[str, str] = Field(default_factory=dict, description="e.g. paper: ok|out|unknown")


__all__ = [
    "COMMAND_ID_PATTERN",
    "ERROR_CODES",
    "CounterAction",
    "ReceptionAction",
    "Payload",
    "Command",
    "CheckIn",
    "LookupBooking",
    "CounterCommand",
    "ReceptionCommand",
    "DeskLookup",
    "DeskReply",
    "ErrorInfo",
    "IssuedTicket",
    "TicketInfo",
    "CheckInReply",
    "Appointment",
    "LookupReply",
    "CommandResult",
    "TicketCalled",
    "CommandRejected",
    "AuditEvent",
    "QueueState",
    "CounterState",
    "BoardCall",
    "BoardQueue",
    "BoardLater",
    "BoardState",
    "JourneyStop",
    "StopStatus",
    "MAX_NOTE",
    "TicketRow",
    "TicketList",
    "DevicePresence",
]
