"""The web server under test: a real Mosquitto, the core, `arkaden web` as its own process over HTTPS with a
certificate from the site CA, desk accounts, and Debian's Chromium driven by Selenium (the test fails, not skips,
when the browser is missing)."""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from arkaden_cli.dev_broker import MosquittoBroker, free_port
from provisioning import pki
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store
from queue_rules.site import Site, parse_site
from web_app.accounts import AccountStore

from .engine_helpers import MINI

KIA = Path(__file__).resolve().parents[1] / "sites" / "kia-aachen-arkaden.toml"

REPO = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PASSWORDS = {"amt": "amt-passwort-123", "jobs": "jobs-passwort-123"}
LANGUAGES = ("de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "kmr", "ro", "fr", "ti")
WEB_SECTION = '\n[[web]]\nid = "web"\npublic_url = "https://localhost"\n'


def web_site_text() -> str:
    """The test site with a web server and every language of the real site (the phone page speaks them all)."""
    text = MINI.read_text(encoding="utf-8").replace('languages = ["de", "ar"]', f"languages = {list(LANGUAGES)}")

    def every_language(m: re.Match[str]) -> str:  # a kiosk tile needs a title in each: the German one will do
        extra = "".join(f', {lang} = "{m.group(2)}"' for lang in LANGUAGES if lang not in ("de", "ar"))
        return f"{m.group(1)}{extra} }}"

    return re.sub(r'(title = \{ de = "([^"]+)", ar = "[^"]+")\s*\}', every_language, text) + WEB_SECTION


def web_site() -> Site:
    return parse_site(web_site_text(), "mini+web")


@dataclass
class WebStack:
    site: Site
    base: str
    ca: Path
    log: Path
    store: Store
    proc: subprocess.Popen[bytes]
    broker: MosquittoBroker
    accounts: AccountStore
    tmp: Path
    drivers: list[webdriver.Chrome] = field(default_factory=list)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, verify=ssl.create_default_context(cafile=self.ca), timeout=15)

    def login(self, name: str) -> tuple[httpx.Client, str]:
        """An httpx session logged in as ``name``, and its CSRF token."""
        c = self.client()
        form = c.get("/login?lang=de")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token, form.text
        r = c.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf": token.group(1)})
        assert r.status_code == 303, r.text
        agency = self.accounts.accounts()[name].agency
        first = next(c.id for c in self.site.counters if self.site.agency_of_counter(c.id).id == agency)
        page = c.get(f"/desk/{first}")
        csrf = re.search(r'data-csrf="([^"]+)"', page.text)
        assert csrf, page.text
        return c, csrf.group(1)

    def browser(self, lang: str = "de", width: int = 1280, height: int = 1000) -> webdriver.Chrome:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                    f"--lang={lang}", "--ignore-certificate-errors", "--disable-gpu", "--force-device-scale-factor=1"):
            options.add_argument(arg)
        options.add_experimental_option("prefs", {"intl.accept_languages": lang})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(20)
        if width < 500:  # headless Chromium's window is never narrower than 500 px: emulate the small phone
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
        self.drivers.append(driver)
        return driver

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


AGENCY_CHOICES = {"amt": ("abh", "auslaenderamt"), "jobs": ("jc", "jobcenter")}  # the test site's, the real one's


def _certificate(tmp: Path) -> tuple[Path, Path, Path]:
    ca = pki.new_ca("mini")
    key = pki.new_key()
    cert = pki.issue(ca, key, "web", "mini", server_names=["localhost", "127.0.0.1"])
    paths = tmp / "ca.crt", tmp / "https.crt", tmp / "https.key"
    paths[0].write_bytes(pki.cert_pem(ca.cert))
    paths[1].write_bytes(pki.cert_pem(cert))
    paths[2].write_bytes(pki.key_pem(key))
    paths[2].chmod(0o600)
    return paths


def require_browser() -> None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.access(path, os.X_OK) or shutil.which(path)):
            pytest.fail(f"{path} is missing: install Debian's chromium and chromium-driver "
                        "(scripts/debian-packages.txt)", pytrace=False)


@pytest.fixture
def web_stack(fresh_broker: MosquittoBroker, tmp_path: Path) -> Iterator[WebStack]:
    """The test site (two agencies) with a web server."""
    yield from run_stack(fresh_broker, tmp_path, web_site_text())


@pytest.fixture
def kia_web_stack(fresh_broker: MosquittoBroker, tmp_path: Path) -> Iterator[WebStack]:
    """The real site file, as the centre runs it (its [[web]] entry included)."""
    yield from run_stack(fresh_broker, tmp_path, KIA.read_text(encoding="utf-8"))


def run_stack(fresh_broker: MosquittoBroker, tmp_path: Path, site_text: str) -> Iterator[WebStack]:
    require_browser()
    site = parse_site(site_text, "site under test")
    site_file = tmp_path / "site.toml"
    site_file.write_text(site_text, encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    core = CoreRunner(QueueService(site, store, always_open=True), fresh_broker.host, fresh_broker.port,
                      client_id=f"core-{tmp_path.name}")
    core.start()
    assert core.wait_connected(10), "core did not connect"
    accounts = AccountStore(tmp_path / "users.json")
    agencies = {a.id for a in site.agencies}
    for name, choices in AGENCY_CHOICES.items():
        accounts.add(name, next(a for a in choices if a in agencies), PASSWORDS[name])
    ca, cert, key = _certificate(tmp_path)
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "arkaden_cli", "--log-level", "INFO", "web", "--site", str(site_file),
             "--host", fresh_broker.host, "--port", str(fresh_broker.port), "--listen", f"127.0.0.1:{port}",
             "--https-cert", str(cert), "--https-key", str(key), "--users", str(accounts.path)],
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    stack = WebStack(site, f"https://localhost:{port}", ca, log, store, proc, fresh_broker, accounts, tmp_path)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, f"arkaden web stopped:\n{stack.log_text()}"
            try:
                if stack.client().get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"arkaden web did not come up:\n{stack.log_text()}"
            time.sleep(0.2)
        yield stack
    finally:
        for driver in stack.drivers:
            driver.quit()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        core.stop()
        store.close()


def published(data: dict) -> bytes:
    return json.dumps({"v": 1, **data}).encode()
