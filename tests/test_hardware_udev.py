"""The udev rules: well-formed, every serial device kept from ModemManager, names the bridge looks for."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from hardware.buttons import DEFAULT_PORTS

RULES = Path(__file__).resolve().parents[1] / "hardware" / "udev" / "70-arkaden.rules"
KEYS = {"SUBSYSTEM", "KERNEL", "ATTRS", "ENV", "GROUP", "MODE", "SYMLINK"}
PAIR = re.compile(r'^(?P<key>[A-Z_]+)(\{(?P<attr>[A-Za-z_]+)\})?(?P<op>==|!=|\+=|=)"(?P<value>[^"]*)"$')


def _rules() -> list[dict[str, tuple[str, str]]]:
    text = RULES.read_text(encoding="utf-8").replace("\\\n", " ")
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        rule: dict[str, tuple[str, str]] = {}
        for part in (p.strip() for p in line.split(", ")):
            m = PAIR.match(part)
            assert m, f"not a udev key/value: {part!r} in {line!r}"
            assert m["key"] in KEYS, m["key"]
            name = f'{m["key"]}{{{m["attr"]}}}' if m["attr"] else m["key"]
            rule[name] = (m["op"], m["value"])
        rules.append(rule)
    return rules


def test_udev_rules_keep_modemmanager_away_and_set_the_group() -> None:
    rules = _rules()
    tty = [r for r in rules if r.get("SUBSYSTEM") == ("==", "tty")]
    assert len(tty) >= 3
    for rule in tty:
        assert rule["ENV{ID_MM_DEVICE_IGNORE}"] == ("=", "1"), rule
        if "SYMLINK" in rule:
            assert rule["GROUP"] == ("=", "dialout") and rule["MODE"] == ("=", "0660"), rule
            assert rule["SYMLINK"][0] == "+="


def test_udev_box_names_are_what_the_bridge_looks_for() -> None:
    names = [r["SYMLINK"][1] for r in _rules() if "SYMLINK" in r]
    box = next(n for n in names if n.startswith("arkaden-box-"))
    example = "/dev/" + box.replace("$env{ID_SERIAL_SHORT}", "E6614103E7")
    assert any(fnmatch.fnmatch(example, pattern) for pattern in DEFAULT_PORTS)
    assert "arkaden-scanner" in names
