"""The desk and phone pages in a real browser (Debian's Chromium), against the real `arkaden web`, core and
Mosquitto: log in, refusals, every-day counter work, a warm handover with a note seen at the next agency's
desk, the phone page turning into "your turn", screenshots to look at, and axe-core's accessibility check."""

from __future__ import annotations

import contextlib
import json
import ssl
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from selenium_axe_python import Axe

from web_app.context import TOKEN_GUESSES

from .mqtt_helpers import Device
from .web_helpers import PASSWORDS, WebStack

pytestmark = [pytest.mark.integration, pytest.mark.slow]
HOSTILE_NOTE = 'Antrag <img src=x onerror="document.title=\'pwned\'"> \u202eprüfen <b>fett</b>'


def kiosk(stack: WebStack) -> Device:
    return Device(stack.broker.host, stack.broker.port, "mini", "kiosk-1", speaks_for=("web",))


def check_in(dev: Device, concern: str = "residence", **kw: object) -> dict:
    answer = dev.request(dev.topics.checkin("kiosk-1"), {"concern": concern, **kw})
    assert answer["ok"], answer
    return answer["ticket"]


def log_in(driver: WebDriver, stack: WebStack, name: str, password: str | None = None) -> None:
    driver.get(stack.base + "/login?lang=de")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password or PASSWORDS[name])
    driver.find_element(By.CSS_SELECTOR, "form.login-form button").click()


def wait_text(driver: WebDriver, element_id: str, text: str, timeout: float = 8) -> str:
    WebDriverWait(driver, timeout).until(lambda d: text in d.find_element(By.ID, element_id).text,
                                         f"{text!r} never appeared in #{element_id}")
    return driver.find_element(By.ID, element_id).text


def shot(driver: WebDriver, artifacts_dir: Path, name: str, *, full: bool = True) -> Path:
    """The whole page as a person would scroll it, or (``full=False``) the screen as it is."""
    if full:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        width = driver.execute_script("return window.innerWidth")
        screen(driver, width, min(max(height + 40, 600), 4000))
    path = artifacts_dir / f"web-{name}.png"
    driver.save_screenshot(str(path))
    return path


def screen(driver: WebDriver, width: int, height: int) -> None:
    """The page's viewport (a phone's below 500 px, which a headless window cannot be)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})


def axe_problems(driver: WebDriver) -> list[str]:
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def test_login_refuses_a_wrong_password_a_missing_csrf_token_and_a_guesser(web_stack: WebStack) -> None:
    stack = web_stack
    driver = stack.browser()
    log_in(driver, stack, "amt", "falsch-falsch-falsch")
    assert "Name oder Passwort stimmt nicht." in driver.find_element(By.CSS_SELECTOR, "p.error").text
    assert driver.get_cookie("arkaden_desk") is None
    # no CSRF token: refused before the password is even looked at
    c = stack.client()
    c.get("/login")
    r = c.post("/login", data={"name": "amt", "password": PASSWORDS["amt"]})
    assert r.status_code == 403 and c.cookies.get("arkaden_desk") is None
    # a session's action without its CSRF token is refused too, and nothing reaches the core
    session, _csrf = stack.login("amt")
    r = session.post("/desk/abh-1/act", data={"action": "next"}, headers={"Accept": "application/json"})
    assert r.status_code == 403
    assert not [e for e in stack.store.events() if e.type == "ticket_called"]
    # another agency's counter is not his
    assert session.get("/desk/jc-1").status_code == 403
    # the cookie is Secure, HttpOnly and SameSite=Strict
    log_in(driver, stack, "amt")
    cookie = driver.get_cookie("arkaden_desk")
    assert cookie and cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # guessing: after five wrong passwords for one name, even the right one waits
    for _ in range(5):
        c = stack.client()
        token = c.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        c.post("/login", data={"name": "jobs", "password": "nein-nein-nein", "csrf": token})
    c = stack.client()
    token = c.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    r = c.post("/login", data={"name": "jobs", "password": PASSWORDS["jobs"], "csrf": token})
    assert r.status_code == 429 and c.cookies.get("arkaden_desk") is None


def test_a_counsellor_calls_serves_and_hands_over_with_a_note_seen_at_the_next_desk(
        web_stack: WebStack, artifacts_dir: Path) -> None:
    stack = web_stack
    dev = kiosk(stack)
    amt = stack.browser()
    log_in(amt, stack, "amt")
    WebDriverWait(amt, 8).until(lambda d: "/desk" in d.current_url)
    amt.get(stack.base + "/desk/abh-1")
    wait_text(amt, "desk-current", "Niemand am Platz")
    first = check_in(dev, language="ar", interpreter=True, party_size=3, step_free=True)
    check_in(dev)
    # the waiting list follows the core without a reload
    wait_text(amt, "desk-waiting", first["number"])
    assert "AR" in amt.find_element(By.ID, "desk-waiting").text
    # the keyboard: N calls the next client, whose details show
    amt.find_element(By.TAG_NAME, "body").send_keys("n")
    current = wait_text(amt, "desk-current", first["number"])
    for fact in ("Arabisch", "ja, gewünscht", "3", "ja, stufenloser Weg"):
        assert fact in current, fact
    assert [e.actor for e in stack.store.events() if e.type == "ticket_called"] == ["counter:abh-1:amt"]
    amt.find_element(By.CSS_SELECTOR, 'button[data-action="start"]').click()
    wait_text(amt, "desk-current", "in Beratung")
    # a warm handover to the job centre with a note that tries to be markup and to turn text around
    amt.find_element(By.CSS_SELECTOR, 'input[name="action"][value="transfer"]').click()
    amt.find_element(By.CSS_SELECTOR, '#to_service option[value="jobcenter"]').click()
    amt.find_element(By.ID, "note").send_keys(HOSTILE_NOTE)
    amt.find_element(By.CSS_SELECTOR, "#handover button[type=submit]").click()
    wait_text(amt, "message", "Erledigt")
    wait_text(amt, "desk-current", "Niemand am Platz")
    transfer = [e for e in stack.store.events() if e.type == "ticket_transferred"]
    assert len(transfer) == 1 and transfer[0].actor == "counter:abh-1:amt"
    shot(amt, artifacts_dir, "desk-de-after-handover")
    # the job centre's counsellor sees him waiting, calls him and reads the note, as text
    jobs = stack.browser()
    log_in(jobs, stack, "jobs")
    WebDriverWait(jobs, 8).until(lambda d: d.current_url.endswith("/desk"))  # two counters: he chooses
    jobs.get(stack.base + "/desk/jc-1")
    wait_text(jobs, "desk-waiting", first["number"])
    jobs.find_element(By.CSS_SELECTOR, 'button[data-action="next"]').click()
    current = wait_text(jobs, "desk-current", "Notiz der vorigen Stelle")
    note = jobs.find_element(By.CSS_SELECTOR, "#desk-current .note")
    assert "<img" in note.text and "<b>fett</b>" in note.text
    assert not jobs.find_elements(By.CSS_SELECTOR, "#desk-current .note img, #desk-current .note b")
    assert jobs.title != "pwned" and "\u202e" not in note.text
    assert jobs.find_element(By.CSS_SELECTOR, "#desk-current .number").text.startswith(first["number"])
    shot(jobs, artifacts_dir, "desk-de")
    assert axe_problems(jobs) == []
    # refer with appointment: the free slots come from the core, the chosen one is booked
    jobs.find_element(By.CSS_SELECTOR, 'input[name="action"][value="book"]').click()
    jobs.find_element(By.CSS_SELECTOR, '#to_service option[value="leistung"]').click()
    WebDriverWait(jobs, 8).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#slot option")) > 3)
    chosen = jobs.find_elements(By.CSS_SELECTOR, "#slot option")[2]
    slot = chosen.get_attribute("value")
    chosen.click()
    jobs.find_element(By.CSS_SELECTOR, "#handover button[type=submit]").click()
    wait_text(jobs, "message", "Erledigt")
    booked = [e for e in stack.store.events() if e.type == "stop_booked"]
    assert len(booked) == 1 and booked[0].actor == "counter:jc-1:jobs"
    assert booked[0].slot == datetime.fromisoformat(slot)
    # the button box of the first counter acts too: its page follows
    dev.client.publish(dev.topics.counter_cmd("abh-1"), json.dumps({"v": 1, "id": "box-n1", "action": "next"}),
                       qos=1)
    wait_text(amt, "desk-current", "aufgerufen")
    # her account is disabled while her page is open: the next change sends the page to the login, not data
    stack.accounts.disable("amt")
    check_in(dev)
    WebDriverWait(amt, 8).until(lambda d: "/login" in d.current_url, "a disabled account's desk page stayed open")
    jobs.get(stack.base + "/login?lang=en")
    assert jobs.find_element(By.TAG_NAME, "h1").text == "Log in"
    assert axe_problems(jobs) == []


def test_the_phone_page_follows_the_ticket_and_turns_into_your_turn(web_stack: WebStack,
                                                                     artifacts_dir: Path) -> None:
    stack = web_stack
    dev = kiosk(stack)
    ahead = check_in(dev)
    mine = check_in(dev, language="ar")
    phone = stack.browser(lang="ar", width=360, height=720)  # a small phone
    phone.get(f"{stack.base}/t/{mine['token']}")
    assert phone.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    assert phone.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ar"
    assert mine["number"] in phone.find_element(By.ID, "phone-main").text
    assert phone.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]") == [360, 360]
    assert "1" in phone.find_element(By.CSS_SELECTOR, "#phone-main .ahead").text
    shot(phone, artifacts_dir, "phone-ar-waiting")
    assert axe_problems(phone) == []
    screen(phone, 360, 720)
    # the one ahead is called: the page says he is next, without a reload
    dev.request(dev.topics.counter_cmd("abh-1"), {"action": "next"}, as_device="web")
    WebDriverWait(phone, 8).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#phone-main .ahead").text != "" and
        d.find_element(By.ID, "main").get_attribute("data-state") == "waiting" and
        "1" not in d.find_element(By.CSS_SELECTOR, "#phone-main .ahead").text)
    # now his call: the whole screen says so
    phone.execute_script("""
        window.__changed = null;
        new MutationObserver(function () {
          if (document.body.className.indexOf('state-called') >= 0 && !window.__changed) {
            window.__changed = Date.now(); }
        }).observe(document.body, {attributes: true, childList: true, subtree: true});""")
    dev.request(dev.topics.counter_cmd("abh-2"), {"action": "next"}, as_device="web")
    called = dev.wait_for(dev.topics.call(), lambda m: m.get("number") == mine["number"])
    at_display = time.time()
    WebDriverWait(phone, 5).until(lambda d: d.execute_script("return window.__changed"))
    latency_ms = phone.execute_script("return window.__changed") - at_display * 1000
    main = phone.find_element(By.ID, "phone-main").text
    assert called["room"] in main and called["counter_label"] in main
    print(f"phone page switched {latency_ms:.0f} ms after the call reached a display client")
    shot(phone, artifacts_dir, "phone-ar-called", full=False)
    assert ahead["token"] not in stack.log_text() and mine["token"] not in stack.log_text()
    assert "GET /t/… 200" in stack.log_text()


@pytest.mark.parametrize("lang", ["de", "ti", "uk"])
def test_the_phone_page_in_the_clients_language_with_his_journey(web_stack: WebStack, artifacts_dir: Path,
                                                                  lang: str) -> None:
    stack = web_stack
    dev = kiosk(stack)
    ticket = check_in(dev, language=lang)
    dev.request(dev.topics.counter_cmd("abh-1"), {"action": "next"}, as_device="web")
    dev.request(dev.topics.counter_cmd("abh-1"), {"action": "refer", "to_service": "jobcenter"},
                as_device="web")  # and back
    phone = stack.browser(lang=lang, width=360, height=720)
    phone.get(f"{stack.base}/t/{ticket['token']}?lang={lang}")
    assert phone.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    journey = phone.find_element(By.ID, "phone-journey").text
    assert journey.count("E.01") >= 2 and "1.07" in journey
    shot(phone, artifacts_dir, f"phone-{lang}-journey")
    assert axe_problems(phone) == []


def test_a_closed_visit_and_an_unknown_token_answer_nothing_and_guessing_is_slowed(web_stack: WebStack) -> None:
    stack = web_stack
    dev = kiosk(stack)
    ticket = check_in(dev)
    c = stack.client()
    assert c.get(f"/t/{ticket['token']}").status_code == 200
    dev.request(dev.topics.counter_cmd("abh-1"), {"action": "next"}, as_device="web")
    dev.request(dev.topics.counter_cmd("abh-1"), {"action": "done"}, as_device="web")
    deadline = time.monotonic() + 5
    while c.get(f"/t/{ticket['token']}").status_code != 410:
        assert time.monotonic() < deadline, "a closed visit's page still answers"
        time.sleep(0.2)
    # guessing from one address is slowed down, but a ticket open on a phone behind that address still answers
    other = check_in(dev)
    phone = stack.browser()
    phone.get(f"{stack.base}/t/{other['token']}")
    wait_text(phone, "phone-main", other["number"])
    statuses = [c.get(f"/t/{'x' * 21}{i}").status_code for i in range(TOKEN_GUESSES + 5)]
    assert statuses[:TOKEN_GUESSES] == [404] * TOKEN_GUESSES and set(statuses[TOKEN_GUESSES:]) == {429}
    assert c.get(f"/t/{other['token']}").status_code == 200
    blocked = c.get(f"/t/{'y' * 22}")
    assert blocked.status_code == 429 and "nicht mehr aktiv" not in blocked.text
    assert "x" * 21 not in stack.log_text()


def test_the_public_board_shows_numbers_and_rooms_only(web_stack: WebStack, artifacts_dir: Path) -> None:
    stack = web_stack
    dev = kiosk(stack)
    ticket = check_in(dev, language="fa", interpreter=True)
    board = stack.browser(width=1280, height=720)
    board.get(stack.base + "/board")
    dev.request(dev.topics.counter_cmd("abh-1"), {"action": "next"}, as_device="web")
    text = wait_text(board, "board-main", ticket["number"])
    assert "E.01" in text and "fa" not in text.split() and ticket["token"] not in board.page_source
    shot(board, artifacts_dir, "board-de")
    assert axe_problems(board) == []
    with httpx.Client(verify=ssl.create_default_context(cafile=stack.ca)) as c:
        assert c.get(stack.base + "/desk").headers["location"].endswith("/login")


@pytest.mark.parametrize("lang", ["de", "ar", "ti", "uk", "fa"])
def test_the_real_site_phone_page_and_desk_as_a_client_and_counsellor_see_them(
        kia_web_stack: WebStack, artifacts_dir: Path, lang: str) -> None:
    """The centre's own site file: a client referred from the Ausländeramt to the Jobcenter and back, on his phone
    in his language, and the job centre's desk with him called."""
    stack = kia_web_stack
    dev = Device(stack.broker.host, stack.broker.port, "kia-aachen", "kiosk-eingang", speaks_for=("web",))
    answer = dev.request(dev.topics.checkin("kiosk-eingang"), {"concern": "aufenthalt", "language": lang,
                                                               "interpreter": lang != "de", "party_size": 2})
    assert answer["ok"], answer
    ticket = answer["ticket"]
    dev.request(dev.topics.counter_cmd("auslaenderamt-1"), {"action": "next"}, as_device="web")
    dev.request(dev.topics.counter_cmd("auslaenderamt-1"), {"action": "refer", "to_service": "jobcenter",
                                                            "note": "Bitte Bürgergeld-Antrag mitgeben."},
                as_device="web")
    phone = stack.browser(lang=lang, width=360, height=720)
    phone.get(f"{stack.base}/t/{ticket['token']}")
    assert phone.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    wait_text(phone, "phone-journey", "2.05")   # the job centre's room, in the journey
    shot(phone, artifacts_dir, f"kia-phone-{lang}-journey")
    assert axe_problems(phone) == []
    screen(phone, 360, 720)
    dev.request(dev.topics.counter_cmd("jobcenter-1"), {"action": "next"}, as_device="web")
    WebDriverWait(phone, 8).until(lambda d: "state-called" in d.find_element(By.TAG_NAME, "body").get_attribute(
        "class"))
    assert "2.05" in phone.find_element(By.ID, "phone-main").text
    shot(phone, artifacts_dir, f"kia-phone-{lang}-called", full=False)
    if lang == "ar":  # the counsellor's side once, with an Arabic-speaking client and the note handed over
        desk = stack.browser()
        log_in(desk, stack, "jobs")
        WebDriverWait(desk, 8).until(lambda d: "/desk" in d.current_url)
        desk.get(stack.base + "/desk/jobcenter-1")
        text = wait_text(desk, "desk-current", "Bürgergeld-Antrag")
        assert ticket["number"] in text and "Arabisch" in text
        shot(desk, artifacts_dir, "kia-desk-de")
        assert axe_problems(desk) == []


def test_open_pages_without_login_are_capped_per_ticket(web_stack: WebStack) -> None:
    """A family's phones are welcome; the eleventh open page of one ticket is refused, and it ends nothing else."""
    from web_app.phone_pages import STREAMS_PER_TICKET

    stack = web_stack
    ticket = check_in(kiosk(stack))
    url = f"/t/{ticket['token']}/events"
    with contextlib.ExitStack() as streams:
        c = streams.enter_context(stack.client())
        opened = [streams.enter_context(c.stream("GET", url)) for _ in range(STREAMS_PER_TICKET)]
        assert all(r.status_code == 200 for r in opened)
        with c.stream("GET", url) as one_more:
            assert one_more.status_code == 429
        first = next(line for line in opened[0].iter_lines() if line.startswith("event:"))
        assert first == "event: phone"
