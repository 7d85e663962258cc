"""The site configuration parsed from TOML text, every cross-reference checked; its tables are in site_parts."""

from __future__ import annotations

import tomllib
from zoneinfo import ZoneInfo

from pydantic import PrivateAttr, ValidationError, model_validator

from .site_checks import CrossReferenceError, reference_problems
from .site_parts import (
    WEEKDAYS,
    Agency,
    BookingRules,
    ButtonBox,
    Concern,
    Counter,
    Display,
    Document,
    Identifier,
    Kiosk,
    LanguageCode,
    Policy,
    Printer,
    ReceptionDesk,
    Room,
    Service,
    SiteInfo,
    SiteTables,
    TimeRange,
    Translations,
    WebServer,
)

__all__ = [
    "Identifier",
    "LanguageCode",
    "Translations",
    "WEEKDAYS",
    "TimeRange",
    "Agency",
    "BookingRules",
    "Document",
    "Service",
    "Concern",
    "Room",
    "Counter",
    "Printer",
    "Kiosk",
    "Display",
    "ButtonBox",
    "ReceptionDesk",
    "WebServer",
    "Policy",
    "SiteInfo",
    "SiteTables",
    "Site",
    "SiteConfigError",
    "parse_site",
]

class SiteConfigError(ValueError):
    """A site file that cannot be used; the message names the file, the field and the problem."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {where}: {what}" for where, what in problems]
        super().__init__("invalid site configuration\n" + "\n".join(lines))


class Site(SiteTables):
    """A whole site as read from its TOML file, with every cross-reference checked."""

    _agencies: dict[str, Agency] = PrivateAttr(default_factory=dict)
    _services: dict[str, Service] = PrivateAttr(default_factory=dict)
    _concerns: dict[str, Concern] = PrivateAttr(default_factory=dict)
    _rooms: dict[str, Room] = PrivateAttr(default_factory=dict)
    _counters: dict[str, Counter] = PrivateAttr(default_factory=dict)
    _documents: dict[str, Document] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> Site:
        problems = reference_problems(self)
        if problems:
            raise CrossReferenceError(problems)
        return self

    def model_post_init(self, __context: object) -> None:
        self._agencies = {a.id: a for a in self.agencies}
        self._services = {s.id: s for s in self.services}
        self._concerns = {c.id: c for c in self.concerns}
        self._rooms = {r.id: r for r in self.rooms}
        self._counters = {c.id: c for c in self.counters}
        self._documents = {d.id: d for d in self.documents}

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    def agency(self, agency_id: str) -> Agency:
        return self._agencies[agency_id]

    def service(self, service_id: str) -> Service:
        return self._services[service_id]

    def concern(self, concern_id: str) -> Concern:
        return self._concerns[concern_id]

    def room(self, room_id: str) -> Room:
        return self._rooms[room_id]

    def counter(self, counter_id: str) -> Counter:
        return self._counters[counter_id]

    def agency_of_service(self, service_id: str) -> Agency:
        return self.agency(self.service(service_id).agency)

    def document(self, document_id: str) -> Document:
        return self._documents[document_id]

    def early_minutes(self, service_id: str) -> int:
        """How long before a booked slot of this service the client may be called."""
        rules = self.agency_of_service(service_id).bookings
        return self.policy.booking_early_minutes if rules.early_minutes is None else rules.early_minutes

    def documents_for(self, service_ids: list[str]) -> list[Document]:
        """What to bring to these services, each document once, in the order first needed."""
        ids = dict.fromkeys(d for s in service_ids for d in self.service(s).documents)
        return [self.document(d) for d in ids]

    def device_ids(self) -> dict[str, str]:
        """Every device id with its kind."""
        kinds: dict[str, str] = {}
        for kind, items in (
            ("printer", self.printers),
            ("kiosk", self.kiosks),
            ("display", self.displays),
            ("button_box", self.button_boxes),
            ("reception", self.reception),
            ("web", self.web),
        ):
            for item in items:
                kinds[item.id] = kind
        return kinds

    def phone_url(self) -> str | None:
        """The base of the slips' phone links (the first web server's public address), or None."""
        return next((w.public_url for w in self.web if w.public_url), None)

    def agency_of_counter(self, counter_id: str) -> Agency:
        """The agency a counter works for: that of its first service (a desk account works at its own agency's)."""
        return self.agency_of_service(self.counter(counter_id).services[0])

    def staff_name(self, device_id: str) -> str | None:
        """The name the site file gives a printer, kiosk or display for the staff (None: it has none)."""
        named: list[Printer | Kiosk | Display] = [*self.printers, *self.kiosks, *self.displays]
        return next((item.name for item in named if item.id == device_id), None)

    def reception_room(self) -> Room | None:
        """Where reception is: the first reception desk's room (or a room with id "empfang"), None if unknown."""
        rid = next((d.room for d in self.reception if d.room), None) or "empfang"
        return self._rooms.get(rid)

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
