"""Shared fixtures: a private Mosquitto, a private PostgreSQL server and fresh databases."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from arkaden_cli.dev_broker import BrokerUnavailable, MosquittoBroker, free_port
from arkaden_cli.xvfb import Xvfb, XvfbError
from queue_core.store import Store

from .web_helpers import kia_web_stack, web_stack  # noqa: F401 - the web server under test, for test_web_*.py

REPO_ROOT = Path(__file__).resolve().parents[1]
# Whole files that start real apps, secured brokers, the demo, the benchmark or a fresh venv: seconds to
# minutes each. With these, every test on an X server (Kivy) or PostgreSQL is slow too; the rest, the
# fast lane (`./scripts/test -m "not slow"`), runs on SQLite and the suite's one Mosquitto.
SLOW_MODULES = frozenset({
    "test_bench", "test_wheel", "test_demo", "test_display_privacy", "test_hardware_buttons",
    "test_broker_security", "test_screen_fit", "test_display_tour", "test_web_pages",
})
INSTALL_HINT = "Install the Debian package 'postgresql', or run ./scripts/test, which installs it."


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow = pytest.mark.slow
    for item in items:
        module = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        fixtures = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("db_url") == "postgresql"
        if module in SLOW_MODULES or fixtures & {"xserver", "postgres_server"} or on_postgres:
            item.add_marker(slow)


def _start_broker(workdir: Path) -> MosquittoBroker:
    broker = MosquittoBroker(workdir)
    try:
        broker.start()
    except BrokerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    return broker


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoBroker]:
    """One Mosquitto for the whole run; tests must not stop it."""
    b = _start_broker(tmp_path_factory.mktemp("broker"))
    yield b
    b.stop()


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A Mosquitto of the test's own, which it may stop and restart."""
    b = _start_broker(tmp_path / "broker")
    yield b
    b.stop()


def _postgres_bindir() -> Path:
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    # newest version first
    candidates += sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for d in candidates:
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl) not found via 'pg_config --bindir' "
        f"or /usr/lib/postgresql/*/bin. {INSTALL_HINT}",
        pytrace=False,
    )


class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1 with trust authentication."""

    def __init__(self, bindir: Path, basedir: Path, port: int) -> None:
        self.bindir = bindir
        self.basedir = basedir
        self.datadir = basedir / "data"
        self.logfile = basedir / "postgres.log"
        self.host = "127.0.0.1"
        self.port = port
        self.user = "postgres"
        self._counter = itertools.count(1)
        # postgres refuses to run as root: run its tools as the 'postgres' system user
        self._as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        cmd = [*self._as_user, *args]
        out = subprocess.run(
            cmd, cwd=self.basedir, capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL,
        )
        if out.returncode != 0:
            log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            pytest.fail(
                f"PostgreSQL command failed ({out.returncode}): {' '.join(cmd)}\n"
                f"{out.stdout}{out.stderr}\n{log[-3000:]}",
                pytrace=False,
            )

    def start(self) -> None:
        if self._as_user:
            shutil.chown(self.basedir, user="postgres", group=pwd.getpwnam("postgres").pw_gid)
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", self.user,
            "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.basedir} -c listen_addresses={self.host} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile),
            "-o", options, "-w", "-t", "30", "start",
        )

    def stop(self) -> None:
        subprocess.run(
            [*self._as_user, str(self.bindir / "pg_ctl"), "-D", str(self.datadir),
             "-m", "immediate", "-w", "stop"],
            cwd=self.basedir, capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
        )

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str | None = None) -> str:
        """Create a new empty database and return its SQLAlchemy URL."""
        import psycopg

        name = name or f"arkaden_{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole run, in a temp dir on a free port."""
    bindir = _postgres_bindir()
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail(f"Running as root but there is no 'postgres' user. {INSTALL_HINT}",
                        pytrace=False)
        if shutil.which("runuser") is None:
            pytest.fail("Running as root but 'runuser' (util-linux) is missing.", pytrace=False)
    # directly under /tmp: pytest's own tmp dirs are mode 0700 and root-owned,
    # so the 'postgres' user could not reach a data dir inside them
    basedir = Path(tempfile.mkdtemp(prefix="arkaden-pg-"))
    server = PostgresServer(bindir, basedir, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(basedir, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL for each test, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'arkaden.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave PNGs and logs for humans to look at (repo-root/artifacts)."""
    path = REPO_ROOT / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


class XServer:
    """A private Xvfb screen for the Kivy apps; ``env()`` is the environment a child app needs."""

    def __init__(self, display: str, proc: subprocess.Popen[bytes], home: Path) -> None:
        self.display, self.proc, self.home = display, proc, home

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DISPLAY=self.display, XDG_CACHE_HOME=str(self.home), SDL_AUDIODRIVER="dummy",
                   PYTHONPATH=str(REPO_ROOT), LIBGL_ALWAYS_SOFTWARE="1")
        env.update(extra)
        return env


@pytest.fixture(scope="session")
def xserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XServer]:
    """One Xvfb (1920×1920, so both orientations fit) for the whole run; fails when Xvfb is missing."""
    try:
        xvfb = Xvfb()
    except XvfbError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield XServer(xvfb.display, xvfb.proc, tmp_path_factory.mktemp("xhome"))
    xvfb.stop()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated store on SQLite and on PostgreSQL (the db_url fixture's parameters)."""
    s = Store(db_url)
    s.migrate()
    yield s
    s.close()
