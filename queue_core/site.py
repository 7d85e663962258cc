"""The site configuration: agencies, services, concerns, rooms, counters and devices, loaded from TOML."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, PrivateAttr, field_validator, model_validator

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")]
Translations = dict[LanguageCode, Annotated[str, Field(min_length=1, max_length=200)]]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SiteConfigError(ValueError):
    """A site file that cannot be used; the message names the file, the field and the problem."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {where}: {what}" for where, what in problems]
        super().__init__("invalid site configuration\n" + "\n".join(lines))


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


class Agency(_Model):
    """An agency in the building; its tickets are numbered with its prefix (J-017)."""

    id: Identifier
    name: str = Field(min_length=1, max_length=80)
    short: str = Field(min_length=1, max_length=24)
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    hours: dict[str, list[TimeRange]] = Field(default_factory=dict)

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        if isinstance(value, dict):
            unknown = [k for k in value if k not in WEEKDAYS]
            if unknown:
                raise ValueError(f"unknown weekday {unknown[0]!r} (use {', '.join(WEEKDAYS)})")
            return {k: _parse_ranges(v) for k, v in value.items()}
        return value

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
    name: Translations
    minutes: float = Field(default=15.0, gt=0, le=480, description="typical service time, seeds the wait estimate")

    @field_validator("name")
    @classmethod
    def _german(cls, value: dict[str, str]) -> dict[str, str]:
        if "de" not in value:
            raise ValueError("needs at least a German ('de') name")
        return value


class Concern(_Model):
    """A tile at the kiosk: what a client came for, served by one service."""

    id: Identifier
    service: Identifier
    pictogram: Identifier
    walk_in: bool = True
    title: Translations

    @field_validator("title")
    @classmethod
    def _german(cls, value: dict[str, str]) -> dict[str, str]:
        if "de" not in value:
            raise ValueError("needs at least a German ('de') title")
        return value


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


class Printer(_Model):
    id: Identifier
    url: str = Field(pattern=r"^(usb|serial|tcp|file|dummy)://")
    width_dots: Literal[384, 576] = 576


class Kiosk(_Model):
    id: Identifier
    printer: Identifier | None = None
    scanner: str | None = None
    orientation: Literal["portrait", "landscape"] = "portrait"
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
    agencies: list[Identifier] = Field(default_factory=list, description="empty: all agencies")
    orientation: Literal["portrait", "landscape"] = "landscape"


class ButtonBox(_Model):
    id: Identifier
    counter: Identifier
    serial_number: str | None = None
    path: str | None = None


class ReceptionDesk(_Model):
    id: Identifier


class Policy(_Model):
    """Queue rules that a site may tune."""

    booking_early_minutes: int = Field(default=15, ge=0, le=240)
    max_recalls: int = Field(default=2, ge=0, le=10)
    double_press_seconds: float = Field(default=1.5, ge=0, le=30)
    estimate_window: int = Field(default=10, ge=1, le=200, description="recent services averaged per queue")
    wait_target_minutes: int = Field(default=45, ge=1, le=600)
    offline_max_minutes: int = Field(default=120, ge=1, le=720,
                                     description="an offline ticket older than this counts as arriving when handed in")


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


class Site(_Model):
    """A whole site as read from its TOML file, with every cross-reference checked."""

    _by_id: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)

    site: SiteInfo
    policy: Policy = Policy()
    agencies: list[Agency] = Field(min_length=1)
    services: list[Service] = Field(min_length=1)
    concerns: list[Concern] = Field(default_factory=list)
    rooms: list[Room] = Field(min_length=1)
    counters: list[Counter] = Field(min_length=1)
    printers: list[Printer] = Field(default_factory=list)
    kiosks: list[Kiosk] = Field(default_factory=list)
    displays: list[Display] = Field(default_factory=list)
    button_boxes: list[ButtonBox] = Field(default_factory=list)
    reception: list[ReceptionDesk] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Site:
        from .site_checks import CrossReferenceError, reference_problems

        problems = reference_problems(self)
        if problems:
            raise CrossReferenceError(problems)
        return self

    def model_post_init(self, __context: object) -> None:
        for name in ("agencies", "services", "concerns", "rooms", "counters"):
            self._by_id[name] = {item.id: item for item in getattr(self, name)}

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    def agency(self, agency_id: str) -> Agency:
        return self._by_id["agencies"][agency_id]  # type: ignore[no-any-return]

    def service(self, service_id: str) -> Service:
        return self._by_id["services"][service_id]  # type: ignore[no-any-return]

    def concern(self, concern_id: str) -> Concern:
        return self._by_id["concerns"][concern_id]  # type: ignore[no-any-return]

    def room(self, room_id: str) -> Room:
        return self._by_id["rooms"][room_id]  # type: ignore[no-any-return]

    def counter(self, counter_id: str) -> Counter:
        return self._by_id["counters"][counter_id]  # type: ignore[no-any-return]

    def agency_of_service(self, service_id: str) -> Agency:
        return self.agency(self.service(service_id).agency)

    def device_ids(self) -> dict[str, str]:
        """Every device id with its kind."""
        kinds: dict[str, str] = {}
        for kind, items in (
            ("printer", self.printers),
            ("kiosk", self.kiosks),
            ("display", self.displays),
            ("button_box", self.button_boxes),
            ("reception", self.reception),
        ):
            for item in items:
                kinds[item.id] = kind
        return kinds

    def reserved_numbers(self) -> list[tuple[int, int]]:
        """Number blocks set aside for kiosks' offline tickets; the core never issues them."""
        return [k.offline_numbers for k in self.kiosks if k.offline_numbers]


def _format_loc(loc: tuple[object, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def parse_site(text: str, source: str = "<site>") -> Site:
    """Parse and check a site from TOML text; raises SiteConfigError naming source, field and problem."""
    from .site_checks import CrossReferenceError

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteConfigError(source, [("(syntax)", str(exc))]) from None
    try:
        return Site.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for err in exc.errors():
            ctx_err = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_err, CrossReferenceError):
                problems.extend(ctx_err.problems)
                continue
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field (typo?)"
            problems.append((_format_loc(err["loc"]), msg))
        raise SiteConfigError(source, problems) from None


def load_site(path: str | Path) -> Site:
    """Read a site file; a missing or unreadable file is a SiteConfigError too."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SiteConfigError(str(p), [("(file)", exc.strerror or str(exc))]) from None
    except UnicodeDecodeError as exc:
        raise SiteConfigError(str(p), [("(file)", f"not UTF-8: {exc}")]) from None
    return parse_site(text, str(p))
