"""The wheel, built as a user builds it and installed into a fresh venv, works far from the checkout.

One wheel and one venv for the module (building and installing take most of the time). The venv gets
the wheel with the ``provision`` extra and whatever its declared dependencies pull in, nothing else, so a
missing dependency or a file left out of the package data fails here. Every ``arkaden`` below is the
venv's, run in a working directory outside the checkout, with an environment that names the checkout
nowhere; the test's own clients (paho, the bundle reader) come from the checkout's .venv.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tomllib
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

import queue_protocol as p
from arkaden_cli.dev_broker import BrokerUnavailable, accepts_connections, find_mosquitto, free_port
from device_link.broker_auth import BrokerAuth, load_broker_config
from provisioning.files import render_broker_conf

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(900)]

REPO_ROOT = Path(__file__).resolve().parents[1]
SITE_FILES = {"mini.toml": REPO_ROOT / "tests" / "sites" / "mini.toml",
              "kia.toml": REPO_ROOT / "sites" / "kia-aachen-arkaden.toml"}
# Files inside the packages that deliberately stay out of the wheel.
NOT_SHIPPED = {"README.md"}
# Variables that would let the venv's Python find the checkout (or another environment).
PYTHON_VARS = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "CONDA_PREFIX"}
HOST = "127.0.0.1"


# --- building and installing ------------------------------------------------------------------------


def _inside(path: Path | str, root: Path) -> bool:
    return Path(path).resolve().is_relative_to(root)


def _run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120,
         what: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run to the end; fail with its output when it exits non-zero."""
    try:
        out = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                             stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError as exc:
        pytest.fail(f"{what or argv[0]}: {exc}", pytrace=False)
    except subprocess.TimeoutExpired as exc:
        said = [s.decode(errors="replace") if isinstance(s, bytes) else s or "" for s in (exc.stdout, exc.stderr)]
        pytest.fail(f"{what or ' '.join(argv)} did not finish in {timeout:.0f} s:\n" + "\n".join(said),
                    pytrace=False)
    if out.returncode != 0:
        pytest.fail(f"{what or ' '.join(argv)} exited {out.returncode}:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}",
                    pytrace=False)
    return out


def _source_files() -> list[str]:
    """The checkout as a clone with its uncommitted work has it: tracked and untracked files, less ignored ones."""
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"cannot list the checkout's files with git: {exc}", pytrace=False)
    names = [n for n in out.stdout.decode().split("\0") if n]
    return [n for n in names if (REPO_ROOT / n).is_file()]  # a file deleted but not yet committed is gone


def _copy_source(dest: Path) -> list[str]:
    """Copy the checkout's source to ``dest``: the build then writes nothing into the shared checkout and
    cannot pick up a stale ``build/`` directory."""
    names = _source_files()
    for name in names:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, target)
    return names


def _outer_env(**extra: str) -> dict[str, str]:
    """This process's environment, less anything that mentions the checkout or points Python elsewhere."""
    env = {k: v for k, v in os.environ.items() if k not in PYTHON_VARS and str(REPO_ROOT) not in v}
    env["PATH"] = os.pathsep.join(d for d in os.environ.get("PATH", "").split(os.pathsep)
                                  if d and not _inside(d, REPO_ROOT))
    env.update(extra)
    return env


@dataclass
class Installed:
    """The built wheel, the source it was built from, and the fresh venv it is installed in."""

    wheel: Path
    source: Path
    source_files: list[str]
    venv: Path
    purelib: Path
    home: Path

    @property
    def arkaden(self) -> str:
        return str(self.venv / "bin" / "arkaden")

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def env(self) -> dict[str, str]:
        """What a user of the venv has: its bin first on PATH, an empty home, nothing of the checkout."""
        env = _outer_env(HOME=str(self.home), PYTHONNOUSERSITE="1", PYTHONUNBUFFERED="1")
        env["PATH"] = os.pathsep.join([str(self.venv / "bin"), env["PATH"]])
        env.pop("ARKADEN_DB_URL", None)
        return env

    def run(self, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return _run([self.arkaden, *args], cwd=cwd, env=self.env(), timeout=timeout,
                    what=f"arkaden {' '.join(args)}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    assert not _inside(base, REPO_ROOT), f"the temp dir {base} must lie outside the checkout"
    if importlib.util.find_spec("build") is None:
        pytest.fail("the 'build' package is missing from the test environment: .venv/bin/pip install build "
                    "(it is in the test extras)", pytrace=False)
    source, dist = base / "source", base / "dist"
    names = _copy_source(source)
    # Isolated (the default): the build backend comes from [build-system].requires, as for every user;
    # --no-isolation would take the venv's setuptools, which may be older than those requirements.
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)], cwd=base,
         env=_outer_env(), timeout=600, what="python -m build --wheel")
    wheels = sorted(dist.glob("arkaden-*.whl"))
    assert len(wheels) == 1, f"expected one wheel, got {wheels}"

    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=base, env=_outer_env(), timeout=120,
         what="python -m venv")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run([*pip, "install", "-q", f"{wheels[0]}[provision]"], cwd=base, env=_outer_env(), timeout=600,
         what="pip install the wheel with [provision]")
    _run([*pip, "check"], cwd=base, env=_outer_env(), what="pip check")
    purelib = _run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=base, env=_outer_env()).stdout.strip()
    home = base / "home"
    home.mkdir()
    return Installed(wheels[0], source, names, venv, Path(purelib), home)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working directory outside the checkout, with copies of the site files."""
    assert not _inside(tmp_path, REPO_ROOT)
    for name, path in SITE_FILES.items():
        shutil.copy(path, tmp_path / name)
    return tmp_path


# --- processes ----------------------------------------------------------------------------------------


class Processes:
    """Long-running children, each in a session of its own with a log file; all stopped at teardown."""

    def __init__(self) -> None:
        self._procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, argv: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self._procs.append((proc, log))
        return proc

    def log_of(self, proc: subprocess.Popen[bytes]) -> str:
        for candidate, log in self._procs:
            if candidate is proc:
                return log.read_text(errors="replace")[-4000:]
        return "(not started here)"

    @staticmethod
    def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> int | None:
        """SIGTERM and wait (the process stops its own children); then SIGKILL whatever is left of its group."""
        code = proc.poll()
        if code is None:
            proc.terminate()
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                code = None
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what it started
        except (ProcessLookupError, PermissionError):
            pass
        if proc.poll() is None:
            proc.wait(timeout=5)
        return code

    def stop_all(self) -> None:
        for proc, _ in reversed(self._procs):
            self.stop(proc)


@pytest.fixture
def procs() -> Iterator[Processes]:
    p = Processes()
    try:
        yield p
    finally:
        p.stop_all()


def _wait_listening(procs: Processes, proc: subprocess.Popen[bytes], ports: list[int], what: str,
                    timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited ({proc.returncode}):\n{procs.log_of(proc)}", pytrace=False)
        if all(accepts_connections(port) for port in ports):
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not listen on {ports} within {timeout:.0f} s:\n{procs.log_of(proc)}", pytrace=False)


def _mosquitto() -> str:
    try:
        return find_mosquitto()
    except BrokerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


# --- an MQTT client for the test ------------------------------------------------------------------------


class Client:
    """A v5 client that records every message and sends requests with Response Topic and Correlation Data."""

    def __init__(self, host: str, port: int, auth: BrokerAuth | None, name: str):
        self.cv = threading.Condition()
        self.messages: list[tuple[str, bytes, bytes | None]] = []
        self.connack: object | None = None
        # plain paho, so the test's client does not lean on the code under test
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"wheel-{name}-{uuid.uuid4().hex[:6]}",
                                  protocol=mqtt.MQTTv5)
        if auth is not None:
            auth.apply(self.client)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect(host, port, keepalive=30, clean_start=True)
        self.client.loop_start()
        with self.cv:
            assert self.cv.wait_for(lambda: self.connack is not None, 10), f"no CONNACK from {host}:{port}"
        assert not getattr(self.connack, "is_failure", True), f"{name} refused by {host}:{port}: {self.connack}"

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags, rc: ReasonCode,
                    props: Properties | None) -> None:
        with self.cv:
            self.connack = rc
            self.cv.notify_all()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self.cv:
            self.messages.append((msg.topic, bytes(msg.payload), getattr(msg.properties, "CorrelationData", None)))
            self.cv.notify_all()

    def subscribe(self, *topics: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *a: done.set()
        self.client.subscribe([(t, 1) for t in topics])
        assert done.wait(10), f"subscription to {topics} not acknowledged"

    def wait_for(self, topic: str, predicate: Callable[[bytes], bool], timeout: float, why: str) -> bytes:
        found: list[bytes] = []

        def check() -> bool:
            found[:] = [payload for t, payload, _ in self.messages if t == topic and predicate(payload)]
            return bool(found)

        with self.cv:
            if not self.cv.wait_for(check, timeout):
                pytest.fail(f"{why}: nothing matching on {topic} within {timeout:.0f} s; got "
                            f"{[(t, pl[:200]) for t, pl, _ in self.messages[-5:]]}", pytrace=False)
        return found[-1]

    def request(self, topic: str, reply_topic: str, command: p.Command, timeout: float = 10) -> bytes:
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho's __init__ is unannotated
        props.ResponseTopic = reply_topic
        props.CorrelationData = command.id.encode()
        self.client.publish(topic, command.to_bytes(), qos=1, properties=props)
        with self.cv:
            assert self.cv.wait_for(lambda: any(c == command.id.encode() for t, _, c in self.messages
                                                if t == reply_topic), timeout), f"no reply to {command}"
            return next(pl for t, pl, c in self.messages if t == reply_topic and c == command.id.encode())

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _online(payload: bytes) -> bool:
    return bool(payload) and p.DevicePresence.model_validate_json(payload).online


# --- the tests ------------------------------------------------------------------------------------------


def _package_names(source: Path) -> list[str]:
    """The top-level packages, from [tool.setuptools.packages.find] include (e.g. "queue_core*")."""
    config = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    return [pattern.rstrip("*") for pattern in config["tool"]["setuptools"]["packages"]["find"]["include"]]


def test_wheel_ships_every_file_of_the_packages_and_nothing_else(installed: Installed) -> None:
    packages = _package_names(installed.source)
    with zipfile.ZipFile(installed.wheel) as whl:
        shipped = set(whl.namelist())
    wanted = {name for name in installed.source_files
              if name.split("/")[0] in packages and Path(name).name not in NOT_SHIPPED}
    missing = sorted(wanted - shipped)
    assert not missing, ("files of the packages not in the wheel (add them to [tool.setuptools.package-data] "
                         "or to NOT_SHIPPED here):\n" + "\n".join(missing))
    tops = {name.split("/")[0] for name in shipped if not name.split("/")[0].endswith(".dist-info")}
    assert tops == set(packages), f"the wheel's top-level names {sorted(tops)} are not the packages {packages}"


def test_wheel_install_runs_from_the_venv_not_the_checkout(installed: Installed, workdir: Path) -> None:
    packages = _package_names(installed.source)
    probe = ("import importlib, importlib.util, json, sys\n"
             "import arkaden_cli.main, queue_core.store, queue_core.migrations, provisioning.provision, "
             "device_link.broker_auth, queue_protocol, queue_rules.site\n"
             f"names = {packages!r}\n"
             "print(json.dumps({'origins': {n: importlib.util.find_spec(n).origin for n in names},\n"
             "                  'files': {n: importlib.import_module(n).__file__ for n in\n"
             "                            ['arkaden_cli', 'queue_core', 'provisioning', 'device_link',\n"
             "                             'queue_protocol', 'queue_rules']},\n"
             "                  'path': sys.path}))\n")
    out = json.loads(_run([installed.python, "-c", probe], cwd=workdir, env=installed.env(),
                          what="importing the packages in the venv").stdout)
    for name, origin in {**out["origins"], **out["files"]}.items():
        assert origin and _inside(origin, installed.purelib.resolve()), f"{name} resolves to {origin}, not the venv"
    seen = [entry for entry in out["path"] if entry and _inside(entry, REPO_ROOT)]
    assert not seen, f"the venv's sys.path reaches into the checkout: {seen}"

    assert "usage: arkaden" in installed.run("--help", cwd=workdir).stdout
    assert "usage: arkaden" in _run([installed.python, "-m", "arkaden_cli", "--help"], cwd=workdir,
                                    env=installed.env()).stdout


def test_wheel_checks_sites_provisions_writes_units_and_migrates(installed: Installed, workdir: Path) -> None:
    for name in SITE_FILES:
        assert ": ok" in installed.run("site", "check", name, cwd=workdir).stdout

    installed.run("provision", "--site", "mini.toml", "--out", "out", "--broker-host", "localhost", cwd=workdir)
    for device in ("core", "kiosk-1", "display-1", "box-abh-1", "reception", "buttons"):
        assert (workdir / "out" / "devices" / device / "device.toml").is_file(), f"no bundle for {device}"
    # the drop-in comes from the installed template: the same as rendering the source's template
    template = installed.source / "provisioning" / "data" / "mosquitto.conf"
    assert (workdir / "out" / "broker" / "arkaden.conf").read_text() == render_broker_conf(template=template)

    installed.run("units", "--out", "units", cwd=workdir)
    shipped_dir = installed.source / "provisioning" / "data" / "systemd"
    want = {str(f.relative_to(shipped_dir)): f.read_bytes() for f in shipped_dir.rglob("*")
            if f.is_file() and f.name != "README.md"}
    got = {str(f.relative_to(workdir / "units")): f.read_bytes() for f in (workdir / "units").rglob("*")
           if f.is_file()}
    assert got == want, f"units written {sorted(got)}, shipped {sorted(want)}"
    assert "arkaden-core.service" in got

    db = workdir / "arkaden.db"
    assert "newest schema" in installed.run("db", "upgrade", "--db-url", f"sqlite:///{db}", cwd=workdir).stdout
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(installed.source / "queue_core" / "migrations")).get_current_head()
    with sqlite3.connect(db) as conn:
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == head, f"the installed migrations stop at {version}; the source's head is {head}"


def _start_production_broker(procs: Processes, out: Path, workdir: Path, ports: list[int]) -> None:
    """Mosquitto as Debian runs it: a main file that includes conf.d/, where the provisioned drop-in goes."""
    binary = _mosquitto()
    conf_d, data = workdir / "conf.d", workdir / "data"
    conf_d.mkdir(parents=True)
    data.mkdir()
    shutil.copy(out / "broker" / "arkaden.conf", conf_d / "arkaden.conf")
    main = [f"persistence_location {data}/", "log_dest stderr", f"include_dir {conf_d}"]
    if os.geteuid() == 0:
        main.insert(0, "user root")  # otherwise mosquitto drops to 'mosquitto', who cannot read the 0600 files
    (workdir / "mosquitto.conf").write_text("\n".join(main) + "\n")
    proc = procs.start([binary, "-c", str(workdir / "mosquitto.conf")], cwd=workdir, env=_outer_env(),
                       log=workdir / "mosquitto.log")
    _wait_listening(procs, proc, ports, "mosquitto with the provisioned production config")


def test_wheel_core_answers_a_checkin_on_the_production_broker(installed: Installed, workdir: Path,
                                                                 procs: Processes) -> None:
    local_port, tls_port = free_port(), free_port()
    out = workdir / "out"
    installed.run("provision", "--site", "mini.toml", "--out", "out", "--broker-host", "localhost",
                  "--broker-dir", str(out / "broker"), "--local-port", str(local_port),
                  "--tls-port", str(tls_port), cwd=workdir)
    _start_production_broker(procs, out, workdir / "broker", [local_port, tls_port])
    db_url = f"sqlite:///{workdir / 'arkaden.db'}"
    installed.run("db", "upgrade", "--db-url", db_url, cwd=workdir)
    core = procs.start([installed.arkaden, "core", "--site", "mini.toml", "--broker-config",
                        str(out / "devices" / "core" / "device.toml"), "--db-url", db_url, "--always-open"],
                       cwd=workdir, env=installed.env(), log=workdir / "core.log")

    kiosk_bundle = load_broker_config(out / "devices" / "kiosk-1" / "device.toml")
    assert kiosk_bundle.port == tls_port and kiosk_bundle.auth is not None and kiosk_bundle.auth.tls
    topics = p.Topics("mini")
    kiosk = Client(kiosk_bundle.host, kiosk_bundle.port, kiosk_bundle.auth, "kiosk-1")
    try:
        kiosk.subscribe(topics.presence("core"), topics.reply("kiosk-1"))
        deadline = time.monotonic() + 60
        with kiosk.cv:
            while not any(t == topics.presence("core") and _online(pl) for t, pl, _ in kiosk.messages):
                if core.poll() is not None:
                    pytest.fail(f"the core exited ({core.returncode}):\n{procs.log_of(core)}", pytrace=False)
                if time.monotonic() > deadline:
                    pytest.fail(f"the core never showed online:\n{procs.log_of(core)}", pytrace=False)
                kiosk.cv.wait(0.2)
        raw = kiosk.request(topics.checkin("kiosk-1"), topics.reply("kiosk-1"),
                            p.CheckIn(id="wheel-checkin-1", concern="job"))
        reply = p.CheckInReply.model_validate_json(raw)
        assert reply.ok and reply.ticket is not None, f"check-in refused: {reply}\n{procs.log_of(core)}"
        assert reply.ticket.number == "J-001"

        assert Processes.stop(core) == 0, f"the core did not stop cleanly:\n{procs.log_of(core)}"
        kiosk.wait_for(topics.presence("core"), lambda pl: bool(pl) and not _online(pl), 10,
                       "the stopped core's presence")
    finally:
        kiosk.close()
    with sqlite3.connect(workdir / "arkaden.db") as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_wheel_dev_broker_runs_from_the_package_config(installed: Installed, workdir: Path,
                                                       procs: Processes) -> None:
    _mosquitto()  # fail with the install hint, not with arkaden's exit code
    port = free_port()
    broker = procs.start([installed.arkaden, "dev-broker", "--port", str(port), "--dir", "dev-broker"],
                         cwd=workdir, env=installed.env(), log=workdir / "dev-broker.log")
    _wait_listening(procs, broker, [port], "arkaden dev-broker")
    shipped = (installed.source / "arkaden_cli" / "data" / "dev.conf").read_text()
    assert (workdir / "dev-broker" / "mosquitto.conf").read_text().startswith(shipped)

    client = Client(HOST, port, None, "dev")
    try:
        client.subscribe("arkaden/wheel-test/#")
        client.client.publish("arkaden/wheel-test/ping", b"pong", qos=1)
        client.wait_for("arkaden/wheel-test/ping", lambda pl: pl == b"pong", 10, "a message through the dev broker")
    finally:
        client.close()
    assert Processes.stop(broker) == 0, f"arkaden dev-broker did not stop cleanly:\n{procs.log_of(broker)}"
    assert not accepts_connections(port), "the dev broker's Mosquitto outlived the command"
