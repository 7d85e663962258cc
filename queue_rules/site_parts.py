"""The tables of a site file: agencies, services, concerns, rooms, counters, devices and the queue policy."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")]
Translations = dict[LanguageCode, Annotated[str, Field(min_length=1, max_length=200)]]


def _with_german(value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
    if "de" not in value:
        raise ValueError(f"needs at least a German ('de') {info.field_name}")
    return value


# every text falls back to German, so a name or title shown to clients must have it
WithGerman = Annotated[Translations, AfterValidator(_with_german)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeRange(_Model):
    """An opening interval within one day, local time."""

    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self


def _parse_ranges(value: object) -> object:
    """Accept "08:00-12:30" strings as well as {start=…, end=…} tables."""
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, str):
                m = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*", item)
                if not m:
                    raise ValueError(f"{item!r} is not a range like '08:00-12:30'")
                out.append({"start": m.group(1).zfill(5), "end": m.group(2).zfill(5)})
            else:
                out.append(item)
        return out
    return value


class BookingRules(_Model):
    """How an agency treats booked clients who come early or late."""

    early_minutes: int | None = Field(default=None, ge=0, le=240, description=(
        "a booked client may be called from this many minutes before the slot; default policy.booking_early_minutes"))
    late_minutes: int = Field(default=15, ge=0, le=240, description="later than this after the slot counts as late")
    late_action: Literal["walk_in", "reception"] = Field(default="walk_in", description=(
        "a late client waits as a walk-in (from arrival, with late_priority), or is sent to reception"))
    late_priority: int = Field(default=0, ge=0, le=9)


class Agency(_Model):
    """An agency in the building; its tickets are numbered with its prefix (J-017)."""

    id: Identifier
    name: str = Field(min_length=1, max_length=80)
    short: str = Field(min_length=1, max_length=24)
    short_names: Translations = Field(default_factory=dict, description=(
        "the short name in the clients' languages (kiosk, the displays' rotating lines, reception in English); "
        "a language without one shows `short`, the German name on the door"))
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    hours: dict[str, list[TimeRange]] = Field(default_factory=dict)
    bookings: BookingRules = BookingRules()
    appointments: Translations = Field(default_factory=dict, description=(
        "how a client without an appointment gets one (a phone number, a web address, a desk): the kiosk shows it "
        "when an appointment-only concern is chosen; reception is always named as well"))

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        if isinstance(value, dict):
            unknown = [k for k in value if k not in WEEKDAYS]
            if unknown:
                raise ValueError(f"unknown weekday {unknown[0]!r} (use {', '.join(WEEKDAYS)})")
            return {k: _parse_ranges(v) for k, v in value.items()}
        return value

    def short_in(self, lang: str) -> str:
        """The agency's short name in ``lang``, or the German one."""
        return self.short_names.get(lang) or self.short

    def open_later_today(self, local: datetime) -> bool:
        """Whether the agency is open now or opens again later today (no hours configured: always)."""
        if not self.hours:
            return True
        return any(r.end > local.time() for r in self.hours.get(WEEKDAYS[local.weekday()], []))

    def is_open(self, local: datetime) -> bool:
        """Whether the agency is open at this local time; no hours configured means always open."""
        if not self.hours:
            return True
        ranges = self.hours.get(WEEKDAYS[local.weekday()], [])
        t = local.time()
        return any(r.start <= t < r.end for r in ranges)


class Service(_Model):
    """One queue: what a counter serves and a ticket waits for."""

    id: Identifier
    agency: Identifier
    name: WithGerman
    minutes: float = Field(default=15.0, gt=0, le=480, description="typical service time, seeds the wait estimate")
    documents: list[Identifier] = Field(default_factory=list, description="what to bring: ids from [[documents]]")


class Concern(_Model):
    """A tile at the kiosk: what a client came for, served by one service."""

    id: Identifier
    service: Identifier
    pictogram: Identifier
    walk_in: bool = True
    title: WithGerman
    subtitle: Translations = Field(default_factory=dict, description=(
        "one plain line under the title that tells look-alike tiles apart (Jobcenter: money to live on; "
        "Agentur für Arbeit: looking for work), in the client's words, not the agency's"))


class Document(_Model):
    """Something a client should bring (passport, certificates), named in the site's languages."""

    id: Identifier
    name: WithGerman


class Room(_Model):
    id: Identifier
    number: str = Field(min_length=1, max_length=12)
    floor: int = Field(ge=-3, le=30)
    step_free: bool = True
    directions: Translations = Field(default_factory=dict)


class Counter(_Model):
    """A desk where a counsellor calls clients: it sits in a room and serves one or more services."""

    id: Identifier
    room: Identifier
    label: str = Field(min_length=1, max_length=16)
    services: list[Identifier] = Field(min_length=1)


StaffName = Annotated[str | None, Field(default=None, min_length=1, max_length=40, description=(
    "how the staff call the device (\"Drucker am Eingang\"): reception's alerts name it so; default its id"))]


class Printer(_Model):
    id: Identifier
    name: StaffName = None
    url: str = Field(pattern=r"^(usb|serial|tcp|file|dummy)://")
    width_dots: Literal[384, 576] = 576


class Kiosk(_Model):
    id: Identifier
    name: StaffName = None
    printer: Identifier | None = None
    scanner: str | None = None
    orientation: Literal["portrait", "landscape"] = "portrait"
    slip_out: Literal["below", "left", "right"] = Field(default="below", description=(
        "where the printed slip comes out, seen from the client: the kiosk points there"))
    scanner_at: Literal["below", "left", "right"] = Field(default="below", description=(
        "where the slip scanner sits, seen from the client (with a scanner)"))
    offline_numbers: tuple[int, int] | None = Field(
        default=None, description="number block this kiosk may hand out while the core is unreachable"
    )

    @field_validator("offline_numbers")
    @classmethod
    def _block(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not (1 <= value[0] <= value[1] <= 999):
            raise ValueError("must be [first, last] with 1 <= first <= last <= 999")
        return value


class Display(_Model):
    id: Identifier
    name: StaffName = None
    agencies: list[Identifier] = Field(default_factory=list, description="empty: all agencies")
    orientation: Literal["portrait", "landscape"] = "landscape"


class ButtonBox(_Model):
    id: Identifier
    counter: Identifier
    serial_number: str | None = None
    path: str | None = None


class ReceptionDesk(_Model):
    id: Identifier
    room: Identifier | None = Field(default=None, description=(
        "where reception is: the kiosk sends clients there when an office is closed or needs an appointment"))


class WebServer(_Model):
    """`arkaden web`: the counsellors' desk pages and the clients' phone pages, one more device of the core."""

    id: Identifier
    public_url: str | None = Field(default=None, max_length=80, pattern=r"^https?://[A-Za-z0-9.:\[\]-]+$", description=(
        "the address clients' phones reach on the centre's Wi-Fi (scheme and host, no path): the slip's QR code "
        "links to <public_url>/t/<token>; absent: slips carry the plain ARKADEN-T: code"))


class Policy(_Model):
    """Queue rules that a site may tune."""

    booking_early_minutes: int = Field(default=15, ge=0, le=240)
    max_recalls: int = Field(default=2, ge=0, le=10)
    double_press_seconds: float = Field(default=1.5, ge=0, le=30)
    estimate_window: int = Field(default=10, ge=1, le=200, description="recent services averaged per queue")
    wait_target_minutes: int = Field(default=45, ge=1, le=600)
    offline_max_minutes: int = Field(default=120, ge=1, le=720,
                                     description="an offline ticket older than this counts as arriving when handed in")
    return_priority: int = Field(default=5, ge=0, le=9,
                                 description="priority of a client coming back from a referral with return")
    journey_min_gap_minutes: int = Field(default=10, ge=0, le=240,
                                         description="a shorter gap between two stops of a journey is flagged")
    journey_first: bool = Field(default=True, description=(
        "a journey client is called at his booked slot, and in time for his next stop, before clients without "
        "such a deadline (docs/bookings.md); off: strictly by priority and arrival"))
    journey_lead_minutes: int = Field(default=5, ge=0, le=120, description=(
        "a journey client is called first once his next booked stop starts within the service's typical "
        "time plus this"))
    retention_days: int = Field(default=30, ge=3, le=3650, description=(
        "personal data (booking codes, tokens, languages, notes, party details, the event log itself) is deleted "
        "by `arkaden purge` once older than this many days; anonymous daily figures stay (docs/privacy.md)"))


class SiteInfo(_Model):
    id: Identifier
    name: str = Field(min_length=1, max_length=120)
    timezone: str = "Europe/Berlin"
    languages: list[LanguageCode] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value



class SiteTables(_Model):
    """A site's tables as read from its TOML file, before their cross-references are checked."""

    site: SiteInfo
    policy: Policy = Policy()
    agencies: list[Agency] = Field(min_length=1)
    services: list[Service] = Field(min_length=1)
    concerns: list[Concern] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    rooms: list[Room] = Field(min_length=1)
    counters: list[Counter] = Field(min_length=1)
    printers: list[Printer] = Field(default_factory=list)
    kiosks: list[Kiosk] = Field(default_factory=list)
    displays: list[Display] = Field(default_factory=list)
    button_boxes: list[ButtonBox] = Field(default_factory=list)
    reception: list[ReceptionDesk] = Field(default_factory=list)
    web: list[WebServer] = Field(default_factory=list)
