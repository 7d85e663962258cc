"""The shipped systemd units: `systemd-analyze verify` is clean, and each has restart, watchdog and hardening."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from arkaden_cli.main import build_parser

UNITS = Path(__file__).resolve().parents[1] / "provisioning" / "data" / "systemd"
INSTALLED = "/opt/arkaden/venv/bin/arkaden"
# unit → (subcommand, the device groups it needs, runs a screen without a desktop)
EXPECTED = {
    "arkaden-core.service": ("core", set(), False),
    "arkaden-kiosk.service": ("kiosk", {"video", "render", "input", "lp", "dialout", "audio"}, True),
    "arkaden-display.service": ("display", {"video", "render", "input", "audio"}, True),
    "arkaden-reception.service": ("reception", {"video", "render", "input", "lp"}, True),
    "arkaden-buttons.service": ("buttons", {"dialout"}, False),
}


def _analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze not found: install the Debian package 'systemd' (./scripts/test does)",
                    pytrace=False)
    return tool


def _verify(paths: list[Path]) -> None:
    out = subprocess.run([_analyze(), "verify", *map(str, paths)], capture_output=True, text=True, timeout=120,
                         cwd=paths[0].parent, check=False)
    # verify exits 0 on unknown keys and unparsable values, so any message at all is a failure
    assert out.returncode == 0 and not out.stderr.strip() and not out.stdout.strip(), out.stderr + out.stdout


def _unit(path: Path) -> dict[str, dict[str, str]]:
    """section → key → value; a key given several times (Environment=) has its values joined by spaces."""
    out: dict[str, dict[str, str]] = {}
    section: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = out.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        section[key] = f"{section[key]} {value}" if key in section else value
    return out


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """Rendered with this venv's arkaden in ExecStart (verify insists the binary exists)."""
    arkaden = Path(sys.executable).parent / "arkaden"
    assert arkaden.exists(), f"{arkaden} missing: install the project (./scripts/bootstrap.sh)"
    rendered = []
    for unit in EXPECTED:
        text = (UNITS / unit).read_text()
        assert INSTALLED in text, f"{unit}: ExecStart should run {INSTALLED}"
        (tmp_path / unit).write_text(text.replace(INSTALLED, str(arkaden)))
        rendered.append(tmp_path / unit)
    _verify(rendered)


def test_mosquitto_drop_in_passes_verify_with_debians_unit(tmp_path: Path) -> None:
    debian = Path("/lib/systemd/system/mosquitto.service")
    if not debian.exists():
        pytest.fail(f"{debian} missing: install the Debian package 'mosquitto'", pytrace=False)
    shutil.copy(debian, tmp_path / "mosquitto.service")
    shutil.copytree(UNITS / "mosquitto.service.d", tmp_path / "mosquitto.service.d")
    _verify([tmp_path / "mosquitto.service"])
    # the drop-in is really read: a bad line in it is reported
    with (tmp_path / "mosquitto.service.d" / "arkaden.conf").open("a") as f:
        f.write("NoSuchSetting=1\n")
    with pytest.raises(AssertionError, match="NoSuchSetting"):
        _verify([tmp_path / "mosquitto.service"])


@pytest.mark.parametrize("unit", sorted(EXPECTED))
def test_unit_restarts_pings_the_watchdog_and_is_hardened(unit: str) -> None:
    command, groups, screen = EXPECTED[unit]
    svc = _unit(UNITS / unit)["Service"]
    assert svc["Type"] == "notify" and svc["Restart"] == "on-failure"
    assert int(svc["WatchdogSec"]) > 0
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "User": "arkaden"}.items():
        assert svc.get(key) == value, f"{unit}: {key} should be {value}"
    assert set(svc.get("SupplementaryGroups", "").split()) == groups
    argv = shlex.split(svc["ExecStart"])
    assert argv[:2] == [INSTALLED, command]
    assert "--broker-config" in argv
    if screen:
        env = svc["Environment"]
        assert "SDL_VIDEODRIVER=kmsdrm" in env and "SDL_VIDEO_ALLOW_SCREENSAVER=0" in env
        assert "getty@tty1.service" in _unit(UNITS / unit)["Unit"]["Conflicts"]
    else:
        assert "SDL_VIDEODRIVER" not in (UNITS / unit).read_text()


def test_core_unit_command_line_is_accepted_by_arkaden() -> None:
    argv = shlex.split(_unit(UNITS / "arkaden-core.service")["Service"]["ExecStart"])
    args = build_parser().parse_args([a.replace("${ARKADEN_SITE}", "/etc/arkaden/site.toml") for a in argv[1:]])
    assert args.command == "core" and args.broker_config == "/etc/arkaden/device/device.toml"


def test_purge_timer_and_service_pass_verify_and_run_arkaden_purge_hardened(tmp_path: Path) -> None:
    arkaden = Path(sys.executable).parent / "arkaden"
    for name in ("arkaden-purge.service", "arkaden-purge.timer"):
        (tmp_path / name).write_text((UNITS / name).read_text().replace(INSTALLED, str(arkaden)))
    _verify([tmp_path / "arkaden-purge.timer", tmp_path / "arkaden-purge.service"])
    svc = _unit(UNITS / "arkaden-purge.service")["Service"]
    assert svc["Type"] == "oneshot", "runs, deletes and exits: the timer starts it nightly"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "PrivateDevices": "yes", "User": "arkaden", "UMask": "0077"}.items():
        assert svc.get(key) == value, f"arkaden-purge.service: {key} should be {value}"
    argv = shlex.split(svc["ExecStart"])
    args = build_parser().parse_args([a.replace("${ARKADEN_SITE}", "/etc/arkaden/site.toml") for a in argv[1:]])
    assert argv[0] == INSTALLED and args.command == "purge" and args.site == "/etc/arkaden/site.toml"
    timer = _unit(UNITS / "arkaden-purge.timer")["Timer"]
    assert timer["Persistent"] == "yes" and timer["Unit"] == "arkaden-purge.service"
    assert timer["OnCalendar"].endswith("02:30:00"), "after midnight (yesterday complete), before the centre opens"
