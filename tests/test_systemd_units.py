"""The shipped systemd units: `systemd-analyze verify` is clean, and each has restart, watchdog and hardening."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from arkaden_cli.main import build_parser
from provisioning import units, web_certs

UNITS = Path(__file__).resolve().parents[1] / "provisioning" / "data" / "systemd"
INSTALLED = "/opt/arkaden/venv/bin/arkaden"
# unit → (subcommand, the device groups it needs, runs a screen without a desktop)
EXPECTED = {
    "arkaden-core.service": ("core", set(), False),
    "arkaden-kiosk.service": ("kiosk", {"video", "render", "input", "lp", "dialout", "audio"}, True),
    "arkaden-display.service": ("display", {"video", "render", "input", "audio"}, True),
    "arkaden-reception.service": ("reception", {"video", "render", "input", "lp"}, True),
    "arkaden-buttons.service": ("buttons", {"dialout"}, False),
    "arkaden-web.service": ("web", set(), False),
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
                       "PrivateTmp": "yes"}.items():
        assert svc.get(key) == value, f"{unit}: {key} should be {value}"
    assert svc["User"] == svc["Group"] == f"arkaden-{unit.removeprefix('arkaden-').removesuffix('.service')}"
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
    assert args.command == "core" and args.broker_config == "/etc/arkaden/core/device.toml"


def test_purge_timer_and_service_pass_verify_and_run_arkaden_purge_hardened(tmp_path: Path) -> None:
    arkaden = Path(sys.executable).parent / "arkaden"
    for name in ("arkaden-purge.service", "arkaden-purge.timer"):
        (tmp_path / name).write_text((UNITS / name).read_text().replace(INSTALLED, str(arkaden)))
    _verify([tmp_path / "arkaden-purge.timer", tmp_path / "arkaden-purge.service"])
    svc = _unit(UNITS / "arkaden-purge.service")["Service"]
    assert svc["Type"] == "oneshot", "runs, deletes and exits: the timer starts it nightly"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "PrivateDevices": "yes", "User": "arkaden-core", "UMask": "0077"}.items():
        assert svc.get(key) == value, f"arkaden-purge.service: {key} should be {value}"
    argv = shlex.split(svc["ExecStart"])
    args = build_parser().parse_args([a.replace("${ARKADEN_SITE}", "/etc/arkaden/site.toml") for a in argv[1:]])
    assert argv[0] == INSTALLED and args.command == "purge" and args.site == "/etc/arkaden/site.toml"
    timer = _unit(UNITS / "arkaden-purge.timer")["Timer"]
    assert timer["Persistent"] == "yes" and timer["Unit"] == "arkaden-purge.service"
    assert timer["OnCalendar"].endswith("02:30:00"), "after midnight (yesterday complete), before the centre opens"


def test_web_unit_binds_443_with_one_capability_and_reads_the_bundle_provisioning_writes() -> None:
    unit = _unit(UNITS / "arkaden-web.service")
    svc = unit["Service"]
    assert svc["AmbientCapabilities"] == svc["CapabilityBoundingSet"] == "CAP_NET_BIND_SERVICE"
    assert svc["PrivateDevices"] == "yes" and svc["StateDirectory"] == "arkaden-web" and svc["UMask"] == "0077"
    assert svc["StateDirectoryMode"] == "0700"
    argv = shlex.split(svc["ExecStart"])
    options = dict(zip(argv[2::2], argv[3::2], strict=True))
    bundle = Path(options["--broker-config"]).parent
    assert bundle == Path("/etc/arkaden/web"), "its own bundle directory, not the core's /etc/arkaden/device"
    assert Path(options["--broker-config"]).name == "device.toml"
    assert options["--https-cert"] == str(bundle / web_certs.CERT_FILE)
    assert options["--https-key"] == str(bundle / web_certs.KEY_FILE)
    assert options["--users"].startswith("/var/lib/arkaden-web/") and options["--listen"] == "0.0.0.0:443"
    for other in EXPECTED:
        if other != "arkaden-web.service":
            other_svc = _unit(UNITS / other)["Service"]
            assert other_svc["CapabilityBoundingSet"] == "" and "AmbientCapabilities" not in other_svc, other


def test_web_unit_command_line_is_accepted_by_arkaden() -> None:
    argv = shlex.split(_unit(UNITS / "arkaden-web.service")["Service"]["ExecStart"])
    args = build_parser().parse_args([a.replace("${ARKADEN_SITE}", "/etc/arkaden/site.toml") for a in argv[1:]])
    assert args.command == "web" and args.broker_config == "/etc/arkaden/web/device.toml"
    assert (args.https_cert, args.https_key) == ("/etc/arkaden/web/https.crt", "/etc/arkaden/web/https.key")
    # --tls-cert/--tls-key are the broker login of every MQTT command: the bundle's device.toml sets that
    assert args.tls_cert is None and args.tls_key is None and not args.insecure_http
    assert args.listen == ("0.0.0.0", 443) and args.users == "/var/lib/arkaden-web/web-users.json"


ROLE_OF_UNIT = {f"arkaden-{unit}.service": role for role, unit in units.UNIT_OF_ROLE.items()}
DEPLOYMENT = Path(__file__).resolve().parents[1] / "docs" / "deployment.md"


def _bundle_dir(unit: str) -> Path:
    argv = shlex.split(_unit(UNITS / unit)["Service"]["ExecStart"])
    return Path(argv[argv.index("--broker-config") + 1]).parent


def test_each_unit_has_a_user_a_bundle_and_a_state_directory_of_its_own() -> None:
    """The bridge (USB input) and the web server (browsers) run next to the core: neither may read its bundle."""
    assert set(ROLE_OF_UNIT) == set(EXPECTED)
    users, bundles, states = {}, {}, {}
    for unit, role in ROLE_OF_UNIT.items():
        svc = _unit(UNITS / unit)["Service"]
        assert svc["User"] == svc["Group"] == units.service_user(role), unit
        assert _bundle_dir(unit) == Path(units.bundle_dir(role)), unit
        assert "SupplementaryGroups" not in svc or "arkaden" not in svc["SupplementaryGroups"].split(), unit
        users[svc["User"]], bundles[_bundle_dir(unit)] = unit, unit
        if "StateDirectory" in svc:
            assert svc["StateDirectoryMode"] == "0700", unit
            states[svc["StateDirectory"]] = unit
    assert len(users) == len(bundles) == len(ROLE_OF_UNIT), (users, bundles)
    assert len(states) == sum("StateDirectory" in _unit(UNITS / u)["Service"] for u in ROLE_OF_UNIT), states
    # the nightly purge works on the core's database: the core's user and state directory, nobody else's
    purge, core = _unit(UNITS / "arkaden-purge.service")["Service"], _unit(UNITS / "arkaden-core.service")["Service"]
    assert (purge["User"], purge["StateDirectory"]) == (core["User"], core["StateDirectory"]) == ("arkaden-core",
                                                                                                   "arkaden")
    # the shared environment file is read by every unit: the database URL (a password) has a file of the core's
    for unit in ("arkaden-core.service", "arkaden-purge.service"):
        assert "-/etc/arkaden/core/database.env" in _unit(UNITS / unit)["Service"]["EnvironmentFile"].split()
    assert "\nARKADEN_DB_URL" not in (UNITS / "arkaden.env.example").read_text()


def _doc_installs() -> list[list[str]]:
    """Every `install` command in the shell blocks of docs/deployment.md, as argv (after `&&` too)."""
    text = DEPLOYMENT.read_text()
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                argv = shlex.split(part, comments=True)
                if argv[:1] in (["install"], ["adduser"]):
                    out.append(argv)
    return out


def test_deployment_doc_installs_each_bundle_where_its_unit_reads_it_for_its_user_only() -> None:
    """Follow the documented commands: each unit's bundle lands in its own directory, group its own user."""
    commands = _doc_installs()
    adduser = {argv[-1] for argv in commands if argv[0] == "adduser"}
    into: dict[str, list[list[str]]] = {}
    made: dict[str, list[str]] = {}
    for argv in commands:
        if argv[0] == "install" and "-d" in argv:
            for path in argv[argv.index("-g") + 2:]:
                made[path.rstrip("/")] = argv
        elif argv[0] == "install" and any(a.endswith("/*") for a in argv):
            into.setdefault(argv[-1].rstrip("/"), []).append(argv)
    assert "/etc/arkaden/device" not in into, "one directory for every bundle: a second bundle overwrites the first"
    for unit, role in ROLE_OF_UNIT.items():
        user, bundle = units.service_user(role), str(_bundle_dir(unit))
        assert user in adduser, f"{unit}: the docs never create its user {user}"
        assert bundle in made and made[bundle][made[bundle].index("-g") + 1] == user, f"{unit}: {bundle}"
        assert made[bundle][made[bundle].index("-m") + 1] == "0750", made[bundle]
        assert bundle in into, f"{unit}: the docs never install a bundle into {bundle}"
        for argv in into[bundle]:
            assert argv[argv.index("-g") + 1] == user and argv[argv.index("-m") + 1] == "0640", argv
            assert "devices/" in argv[-2] or argv[-2] == "/tmp/bundle/*", argv
    # every bundle directory holds one device's bundle: the same source everywhere it is installed
    for bundle, argvs in into.items():
        sources = {a[-2] for a in argvs if "devices/" in a[-2]}
        assert len(sources) <= 1, (bundle, sources)


def test_deployment_doc_says_a_rotation_needs_a_broker_restart() -> None:
    """After --rotate a reload leaves the old connection authorised (tests/test_broker_security.py shows it)."""
    text = " ".join(DEPLOYMENT.read_text().split())
    assert "**after `--rotate`** (a lost or stolen device), and for a new server certificate: `systemctl restart " \
           "mosquitto`" in text
    assert "checks a client certificate only in the TLS handshake" in text
    security = " ".join((DEPLOYMENT.parent / "security.md").read_text().split())
    assert "**After `--rotate`, restart it**" in security
