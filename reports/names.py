"""German names and formats for the report: agencies, languages, devices, weekdays, dates and period buckets."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from queue_rules.site import Site

WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
WEEKDAYS_SHORT = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember")
MONTHS_SHORT = ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez.")
# codes Babel's German names do not cover, or cover in a way the centre does not say
LANGUAGES_DE = {"kmr": "Kurmandschi (Kurdisch)", "ckb": "Sorani (Kurdisch)", "prs": "Dari", "fa-AF": "Dari"}
DEVICE_KINDS_DE = {"kiosk": "Kiosk", "printer": "Drucker", "display": "Wandanzeige", "button_box": "Tastenbox",
                   "reception": "Empfangsplatz", "button_bridge": "Tastenbox-Brücke"}
DEVICE_GROUPS_DE = {"button_box": "Tastenboxen", "reception": "Empfangsplätze", "button_bridge": "Tastenbox-Brücken"}


def agency_short(site: Site, agency_id: str) -> str:
    """The agency's short display name; an id no longer in the site file as itself."""
    try:
        return site.agency(agency_id).short
    except KeyError:
        return agency_id.lstrip("?") or "(unbekannt)"


def agency_full(site: Site, agency_id: str) -> str:
    try:
        return site.agency(agency_id).name
    except KeyError:
        return f"{agency_short(site, agency_id)} (nicht mehr in der Standortdatei)"


def language_name(code: str) -> str:
    """The language's German name: Babel's list, a few codes of our own, else the code itself."""
    if not code:
        return "ohne Angabe"
    if code in LANGUAGES_DE:
        return LANGUAGES_DE[code]
    try:
        from babel import Locale
    except ImportError:  # babel comes with the kiosk and letters extras, not with the report's
        return code
    name = Locale("de").languages.get(code.replace("-", "_"))
    return str(name) if name else code


def device_kind(kind: str) -> str:
    return DEVICE_KINDS_DE.get(kind, kind)


def fmt_int(n: int) -> str:
    """German thousands separator: 12.345."""
    return f"{n:,}".replace(",", ".")


def fmt_date(day: date) -> str:
    return f"{day.day}. {MONTHS_DE[day.month - 1]} {day.year}"


def fmt_datetime(at: datetime) -> str:
    return f"{fmt_date(at.date())}, {at:%H:%M} Uhr"


def fmt_hour(hour: int) -> str:
    return f"{hour:02d}–{hour + 1:02d} Uhr"


def days_of(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def buckets(first: date, last: date) -> tuple[str, list[tuple[str, list[date]]]]:
    """The period cut into columns a table can hold: calendar weeks up to nine, months up to 13, else quarters.

    Returns the unit's name and (label, days) per bucket; a bucket at either end may be partial.
    """
    days = days_of(first, last)

    def week(d: date) -> tuple[int, int]:
        return d.isocalendar().year, d.isocalendar().week

    def month(d: date) -> tuple[int, int]:
        return d.year, d.month

    def quarter(d: date) -> tuple[int, int]:
        return d.year, (d.month - 1) // 3 + 1

    if len({week(d) for d in days}) <= 9:
        unit, key, label = "Woche", week, _week_label
    elif len({month(d) for d in days}) <= 13:
        unit, key, label = "Monat", month, _month_label
    else:
        unit, key, label = "Quartal", quarter, _quarter_label
    out: dict[tuple[int, int], list[date]] = {}
    for d in days:
        out.setdefault(key(d), []).append(d)
    return unit, [(label(k), ds) for k, ds in out.items()]


def _week_label(key: tuple[int, int]) -> str:
    return f"KW {key[1]}/{key[0]}"


def _month_label(key: tuple[int, int]) -> str:
    return f"{MONTHS_SHORT[key[1] - 1]} {key[0]}"


def _quarter_label(key: tuple[int, int]) -> str:
    return f"Q{key[1]}/{key[0]}"
