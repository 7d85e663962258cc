"""The shipped KIA site file, and how load_site reports broken site files."""

from __future__ import annotations

from pathlib import Path

import pytest

from host_support.site_file import load_site
from queue_rules.site import SiteConfigError

REPO = Path(__file__).resolve().parents[1]
KIA = REPO / "sites" / "kia-aachen-arkaden.toml"
KIA_LANGUAGES = ["de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "kmr", "ro", "fr", "ti"]


# --------------------------------------------------------------------------- shipped file


@pytest.fixture(scope="module")
def kia():
    return load_site(KIA)


def test_shipped_file_loads(kia) -> None:
    assert kia.site.id == "kia-aachen"
    assert kia.site.timezone == "Europe/Berlin"
    assert kia.site.languages == KIA_LANGUAGES


def test_every_concern_has_all_twelve_titles(kia) -> None:
    assert kia.concerns
    for concern in kia.concerns:
        assert set(concern.title) == set(KIA_LANGUAGES), concern.id
        for lang, text in concern.title.items():
            assert text.strip(), (concern.id, lang)
            assert len(text) <= 40, (concern.id, lang, text)


def test_every_service_has_a_counter(kia) -> None:
    served = {svc for counter in kia.counters for svc in counter.services}
    for service in kia.services:
        assert service.id in served, service.id
        assert {"de", "en"} <= set(service.name), service.id


def test_every_room_has_directions_in_all_languages(kia) -> None:
    for room in kia.rooms:
        assert set(room.directions) == set(KIA_LANGUAGES), room.id


def test_floors_in_ukrainian_and_russian_agree_with_the_lift(kia) -> None:
    # there the ground floor is the "first": an ordinal floor word would send a client one floor too high
    ordinals = ("перш", "друг", "трет", "четв", "перв", "втор")
    for room in kia.rooms:
        for lang in ("uk", "ru"):
            text = room.directions[lang].lower()
            assert not any(f"{o}" in text and ("поверх" in text or "этаж" in text) for o in ordinals), (room.id, text)
            level = f"{room.floor} (кнопка"
            assert f"{room.floor}" in text and level in text, (room.id, lang, text)


def test_look_alike_tiles_are_told_apart_and_appointment_only_tiles_say_how_to_get_one(kia) -> None:
    by_id = {c.id: c for c in kia.concerns}
    for tile in ("jobcenter", "arbeitsagentur"):
        assert set(by_id[tile].subtitle) == set(KIA_LANGUAGES), tile
    assert by_id["jobcenter"].subtitle["de"] != by_id["arbeitsagentur"].subtitle["de"]
    for concern in kia.concerns:
        if not concern.walk_in:
            agency = kia.agency_of_service(concern.service)
            assert set(agency.appointments) == set(KIA_LANGUAGES), agency.id
    for agency in kia.agencies:   # the kiosk, the displays' rotating lines and reception in English name it so
        assert set(agency.short_names) == set(KIA_LANGUAGES) - {"de"}, agency.id
    assert kia.agency("arbeitsagentur").short_in("ar") == "وكالة العمل"
    assert kia.agency("jobcenter").short_in("de") == "Jobcenter"
    reception = kia.reception_room()
    assert reception is not None and reception.number == "E.01" and reception.floor == 0
    assert {c.label for c in kia.counters}.isdisjoint({"OBS", "Verbraucherz.", "CM Platz 1", "Kiosk 1"})


def test_shipped_file_details(kia) -> None:
    prefixes = [a.prefix for a in kia.agencies]
    assert len(prefixes) == len(set(prefixes))
    assert any(not c.walk_in for c in kia.concerns), "at least one appointment-only tile"
    boxed = {b.counter for b in kia.button_boxes}
    assert boxed == {c.id for c in kia.counters}, "one button box per counter"
    assert len(kia.reception) == 1
    assert sorted(kia.reserved_numbers()) == [(900, 949), (950, 999)]
    for kiosk in kia.kiosks:
        assert kiosk.printer is not None
    auslaenderamt = [c for c in kia.counters if kia.agency_of_service(c.services[0]).id == "auslaenderamt"]
    assert 2 <= len(auslaenderamt) <= 3


# --------------------------------------------------------------------------- broken files

MINIMAL = """\
[site]
id = "mini"
name = "Mini-Standort"
timezone = "Europe/Berlin"
languages = ["de", "en"]

[[agencies]]
id = "amt"
name = "Ausländeramt"
short = "Amt"
prefix = "A"
hours = { mon = ["08:00-12:30"], thu = ["08:00-12:30", "14:00-17:30"] }

[[agencies]]
id = "beratung"
name = "Beratung"
short = "Beratung"
prefix = "B"

[[services]]
id = "info"
agency = "amt"
name = { de = "Infostelle", en = "Info point" }

[[services]]
id = "rat"
agency = "beratung"
name = { de = "Beratung" }
minutes = 30

[[concerns]]
id = "aufenthalt"
service = "info"
pictogram = "passport"
title = { de = "Aufenthalt", en = "Residence" }

[[rooms]]
id = "e01"
number = "E.01"
floor = 0

[[counters]]
id = "schalter-1"
room = "e01"
label = "Schalter 1"
services = ["info", "rat"]

[[kiosks]]
id = "kiosk-1"
offline_numbers = [900, 949]

[[kiosks]]
id = "kiosk-2"
offline_numbers = [950, 999]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken-site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _variant(old: str, new: str) -> str:
    assert MINIMAL.count(old) == 1, f"{old!r} must occur exactly once in MINIMAL"
    return MINIMAL.replace(old, new)


def test_minimal_site_is_valid(tmp_path: Path) -> None:
    site = load_site(_write(tmp_path, MINIMAL))
    assert site.site.id == "mini"
    assert site.agency("amt").hours["thu"][1].end.hour == 17


BROKEN = [
    pytest.param(
        'service = "info"', 'service = "infostelle"',
        "concerns[0].service", "unknown service 'infostelle'",
        id="unknown-service-in-concern",
    ),
    pytest.param(
        'prefix = "B"', 'prefix = "A"',
        "agencies[1].prefix", "prefix 'A' is already used by agency 'amt'",
        id="duplicate-prefix",
    ),
    pytest.param(
        'name = "Mini-Standort"', 'name = "Mini-Standort',
        "(syntax)", "line 3",
        id="bad-toml-syntax",
    ),
    pytest.param(
        'short = "Amt"', 'shrot = "Amt"',
        "agencies[0].shrot", "unknown field (typo?)",
        id="unknown-field-typo",
    ),
    pytest.param(
        'mon = ["08:00-12:30"]', 'mon = ["8-12:30"]',
        "agencies[0].hours", "'8-12:30' is not a range like '08:00-12:30'",
        id="bad-opening-hours-string",
    ),
    pytest.param(
        'mon = ["08:00-12:30"]', 'mon = ["12:30-08:00"]',
        "agencies[0].hours.mon[0]", "is not after start",
        id="opening-hours-end-before-start",
    ),
    pytest.param(
        'mon = ["08:00-12:30"]', 'mo = ["08:00-12:30"]',
        "agencies[0].hours", "unknown weekday 'mo'",
        id="bad-weekday",
    ),
    pytest.param(
        "offline_numbers = [950, 999]", "offline_numbers = [940, 999]",
        "kiosks[1].offline_numbers", "overlaps block [900, 949]",
        id="overlapping-offline-blocks",
    ),
    pytest.param(
        'offline_numbers = [950, 999]\n', 'offline_numbers = [950, 999]\n[[reception]]\nid = "empfang"\nroom = "e99"\n',
        "reception[0].room", "unknown room 'e99'",
        id="reception-in-an-unknown-room",
    ),
    pytest.param(
        'title = { de = "Aufenthalt", en = "Residence" }',
        'title = { de = "Aufenthalt", en = "Residence" }\nsubtitle = { de = "' + "Sehr langer Untertitel " * 3 + '" }',
        "concerns[0].subtitle.de", "69 characters; a tile's subtitle takes at most 48",
        id="tile-subtitle-too-long",
    ),
    pytest.param(
        'timezone = "Europe/Berlin"', 'timezone = "Europe/Aachen"',
        "site.timezone", "unknown time zone 'Europe/Aachen'",
        id="unknown-time-zone",
    ),
]


@pytest.mark.parametrize(("old", "new", "where", "problem"), BROKEN)
def test_broken_site_names_file_field_and_problem(
    tmp_path: Path, old: str, new: str, where: str, problem: str
) -> None:
    path = _write(tmp_path, _variant(old, new))
    with pytest.raises(SiteConfigError) as info:
        load_site(path)
    err = info.value
    assert err.source == str(path)
    assert any(w == where and problem in what for w, what in err.problems), err.problems
    # the message itself carries file, field path and problem on one line
    lines = str(err).splitlines()
    assert any(line.startswith(f"{path}: {where}: ") and problem in line for line in lines), str(err)


def test_typo_also_reports_the_missing_field(tmp_path: Path) -> None:
    path = _write(tmp_path, _variant('short = "Amt"', 'shrot = "Amt"'))
    with pytest.raises(SiteConfigError) as info:
        load_site(path)
    assert ("agencies[0].short", "Field required") in info.value.problems


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "does-not-exist.toml"
    with pytest.raises(SiteConfigError) as info:
        load_site(path)
    err = info.value
    assert err.source == str(path)
    assert err.problems == [("(file)", "No such file or directory")]
    assert f"{path}: (file): No such file or directory" in str(err)


# --------------------------------------------------------------------------- one id, one account

DEVICES = '''
[[printers]]
id = "drucker-1"
url = "dummy://"

[[displays]]
id = "anzeige-1"

[[reception]]
id = "empfang"

[[web]]
id = "web-1"
'''


@pytest.mark.parametrize(("old", "new", "where", "problem"), [
    pytest.param('id = "drucker-1"', 'id = "core"', "printers[0].id", "'core' is reserved for the queue core",
                 id="printer-named-core"),
    pytest.param('id = "drucker-1"', 'id = "buttons"', "printers[0].id", "'buttons' is reserved for the default "
                 "button bridge", id="printer-named-like-the-default-bridge"),
    pytest.param('id = "kiosk-1"', 'id = "core"', "kiosks[0].id", "reserved for the queue core", id="kiosk-named-core"),
    pytest.param('id = "drucker-1"', 'id = "kiosk-2"', "kiosks[1].id", "'kiosk-2' is already used by printers[0].id",
                 id="printer-and-kiosk"),
    pytest.param('id = "web-1"', 'id = "anzeige-1"', "web[0].id", "'anzeige-1' is already used by displays[0].id",
                 id="web-and-display"),
    pytest.param('id = "empfang"', 'id = "web-1"', "web[0].id", "'web-1' is already used by reception[0].id",
                 id="reception-and-web"),
])
def test_device_ids_are_unique_across_every_account_and_presence(
        tmp_path: Path, old: str, new: str, where: str, problem: str) -> None:
    """A printer's id is a presence its kiosk may publish: named like another account, it would speak for it."""
    text = MINIMAL + DEVICES
    assert load_site(_write(tmp_path, text)).device_ids()["drucker-1"] == "printer"  # valid as it stands
    assert text.count(old) == 1
    with pytest.raises(SiteConfigError) as info:
        load_site(_write(tmp_path, text.replace(old, new)))
    assert any(w == where and problem in what for w, what in info.value.problems), info.value.problems


def test_no_site_id_is_a_reserved_account_name(kia) -> None:
    """The names the broker set-up uses for itself are the ones the site check keeps free."""
    from provisioning import acl
    from queue_core.device_presence import OWN_ID
    from queue_rules.site_checks import RESERVED_IDS

    assert {acl.CORE_USER, acl.DEFAULT_BRIDGE, OWN_ID} == set(RESERVED_IDS)
    assert not set(kia.device_ids()) & set(RESERVED_IDS)
