"""Every row of the protocol's error table, proven on a real QueueService over the real SQLite store.

Per code: the command that should produce it, sent as a device would. The code arrives in the reply on the sender's
own reply topic (where one is allowed) and in the CommandRejected on the error topic, its message is a sentence a
person can read, nothing in the state, the event log or the stored replies changed, and the row's "worth retrying"
flag holds: the same command sent again later succeeds once the condition is removed (`closed`: the agency opens,
`rate_limited`: the window passes, `storage`: the store is back, `internal`: the bug is gone, `duplicate_ticket`:
the ids no longer collide), and is refused the same way again for a row that says retrying is pointless.
Then: no row without a scenario here and without a producer in the code, and no code the core produces outside it.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import queue_core.decide
import queue_protocol as p
from queue_core.decide import BOOKING_FAILURE_WINDOW, BOOKING_FAILURES_PER_KIOSK, Decision
from queue_core.service import Incoming, QueueService
from queue_core.store import Store
from queue_rules.site import Site, parse_site

from .engine_helpers import DESK_WEB, MINI, MORNING, Clock, book, reply_topic, unknown_code

REPO = Path(__file__).resolve().parents[1]
T = p.Topics("mini")
OWN = "own"  # the sender's own reply topic (see engine_helpers.reply_topic)
TOMORROW_10 = MORNING + timedelta(days=1, hours=1)  # 10:00 local on Wednesday
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def error_site() -> Site:
    """The mini site with a desk web server, a concern for booked clients only, and a Jobcenter that opens at 10."""
    text = MINI.read_text(encoding="utf-8")
    hours = 'prefix = "J"\nhours = { tue = ["10:00-12:00"] }\n'
    assert 'prefix = "J"\n' in text
    text = text.replace('prefix = "J"\n', hours, 1)
    text += (f'\n[[web]]\nid = "{DESK_WEB}"\n\n[[concerns]]\nid = "booked-only"\nservice = "aufenthalt"\n'
             'pictogram = "passport"\nwalk_in = false\ntitle = { de = "Nur mit Termin", ar = "بموعد فقط" }\n')
    return parse_site(text, "mini+errors")


@dataclass
class Env:
    """One scenario's core: the service, its store and clock, and the switches a scenario's faults read."""

    svc: QueueService
    store: Store
    clock: Clock
    monkeypatch: pytest.MonkeyPatch
    code: str = ""  # a booking code the setup made
    faulty: dict[str, bool] = field(default_factory=dict)

    def send(self, topic: str, payload: dict[str, Any] | bytes, response_topic: str | None = OWN) -> list[Any]:
        raw = payload if isinstance(payload, bytes) else json.dumps({"v": 1, **payload}).encode()
        own = reply_topic(T, topic) if response_topic == OWN else response_topic
        return self.svc.handle(Incoming(topic, raw, own, b"corr"))

    def ok(self, topic: str, payload: dict[str, Any]) -> None:
        """A setup step: a command that must be carried out."""
        pubs = self.send(topic, payload)
        replies = [json.loads(x.payload) for x in pubs if x.topic == reply_topic(T, topic)]
        assert replies and replies[0]["ok"], (payload, replies)


def _nothing(env: Env) -> None:
    pass


@dataclass(frozen=True)
class Case:
    topic: str
    payload: dict[str, Any] | bytes | Callable[[Env], dict[str, Any]]
    setup: Callable[[Env], None] = _nothing
    response_topic: str | None = OWN
    reply: bool = True  # whether the sender's own reply topic may carry the answer
    heal: Callable[[Env], None] | None = None  # removes the condition (rows worth retrying)
    reads_id: bool = True  # the core reads the payload far enough to repeat its id back
    xfail: str | None = None  # the reason, while the core does not produce the row as the table says


CHECKIN, LOOKUP = T.checkin("kiosk-1"), T.lookup("kiosk-1")
COUNTER, RECEPTION = T.counter_cmd("abh-1"), T.reception_cmd("reception")


def _waiting(env: Env) -> None:
    env.ok(CHECKIN, {"id": "c1", "concern": "residence"})


def _at_counter(env: Env) -> None:
    _waiting(env)
    env.ok(COUNTER, {"id": "n1", "action": "next"})


def _booked(env: Env) -> None:
    env.code = book(env.store, env.svc.site, "aufenthalt", MORNING + timedelta(minutes=30))


def _checked_in(env: Env) -> None:
    _booked(env)
    env.ok(CHECKIN, {"id": "b1", "booking_code": env.code})


def _guessed_too_often(env: Env) -> None:
    _booked(env)
    for i in range(BOOKING_FAILURES_PER_KIOSK):
        pubs = env.send(LOOKUP, {"id": f"g{i}", "booking_code": unknown_code(i)})
        assert b"no_booking" in pubs[-1].payload


def _typo(code: str) -> str:
    return code[:2] + ("A" if code[2] != "A" else "C") + code[3:]


def _offline(cid: str, number: int, at: datetime, **kw: Any) -> dict[str, Any]:
    return {"id": cid, "concern": "residence", "offline_number": number, "issued_at": at.isoformat(), **kw}


def _store_down(env: Env) -> None:
    _waiting(env)
    append = env.store.append

    def flaky(*args: Any, **kwargs: Any) -> list[int]:
        if env.faulty.get("store"):
            raise OSError("database is locked")
        return append(*args, **kwargs)

    env.monkeypatch.setattr(env.store, "append", flaky)
    env.faulty["store"] = True


def _buggy_decider(env: Env) -> None:
    """A bug that strikes after the events were applied in memory (making the reply): the rebuild must undo them."""
    _waiting(env)
    decide = env.svc.decider.decide

    def buggy(*args: Any) -> Any:
        outcome = decide(*args)
        if not env.faulty.get("bug") or not isinstance(outcome, Decision):
            return outcome

        def broken_reply() -> p.Payload:
            raise KeyError("a bug")

        return replace(outcome, make_reply=broken_reply)

    env.monkeypatch.setattr(env.svc.decider, "decide", buggy)
    env.faulty["bug"] = True


def _colliding_ids(env: Env) -> None:
    fixed = uuid.UUID(int=15)

    def uuid4() -> uuid.UUID:
        return fixed if env.faulty.get("collide") else uuid.uuid4()

    env.monkeypatch.setattr(queue_core.decide, "uuid", SimpleNamespace(uuid4=uuid4))
    env.faulty["collide"] = True
    _waiting(env)


def _heal(switch: str) -> Callable[[Env], None]:
    def heal(env: Env) -> None:
        env.faulty[switch] = False
    return heal


def _later(delta: timedelta) -> Callable[[Env], None]:
    def heal(env: Env) -> None:
        env.clock.now += delta
    return heal


CASES: dict[str, Case] = {
    "too_large": Case(CHECKIN, b"{" + b" " * 20_000 + b"}"),
    "bad_json": Case(CHECKIN, b'{"v": 1, "id": "c2", "concern": '),
    "unsupported_version": Case(CHECKIN, json.dumps({"v": 7, "id": "c2", "concern": "residence"}).encode()),
    "bad_payload": Case(CHECKIN, {"id": "c2", "concern": "residence", "name": "Max Mustermann"}),
    "unknown_topic": Case("arkaden/v1/mini/cmd/nonsense/kiosk-1", {"id": "c2"},
                          response_topic=T.reply("kiosk-1"), reply=False, reads_id=False),
    "unknown_device": Case(T.counter_cmd("ghost"), {"id": "n2", "action": "next"}, _waiting),
    "bad_reply_topic": Case(CHECKIN, {"id": "c2", "concern": "residence"}, response_topic=None, reply=False),
    "id_reused": Case(CHECKIN, {"id": "c1", "concern": "residence", "language": "ar"}, _waiting),
    "unknown_concern": Case(CHECKIN, {"id": "c2", "concern": "nope"}),
    "appointment_only": Case(CHECKIN, {"id": "c2", "concern": "booked-only"}),
    "closed": Case(CHECKIN, {"id": "c2", "concern": "job"}, heal=_later(timedelta(minutes=90))),  # opens at 10
    "no_booking": Case(CHECKIN, {"id": "b2", "booking_code": unknown_code(99)}),
    "checked_in": Case(CHECKIN, lambda env: {"id": "b2", "booking_code": env.code}, _checked_in),
    "mistyped_code": Case(CHECKIN, lambda env: {"id": "b2", "booking_code": _typo(env.code)}, _booked),
    "note_not_kept": Case(COUNTER, {"id": "k1", "action": "book", "to_service": "leistung",
                                    "slot": TOMORROW_10.isoformat(), "note": "Bitte Unterlagen prüfen"}, _at_counter),
    "slot_taken": Case(COUNTER, {"id": "k1", "action": "book", "to_service": "aufenthalt",  # slots every 20 min
                                 "slot": (MORNING + timedelta(hours=2, minutes=7)).isoformat()}, _at_counter),
    "rate_limited": Case(CHECKIN, lambda env: {"id": "b2", "booking_code": env.code}, _guessed_too_often,
                         heal=_later(BOOKING_FAILURE_WINDOW)),
    "bad_offline_number": Case(CHECKIN, _offline("o2", 955, MORNING)),
    "number_taken": Case(CHECKIN, _offline("o2", 901, MORNING),
                         lambda env: env.ok(CHECKIN, _offline("o1", 901, MORNING))),
    "offline_expired": Case(CHECKIN, _offline("o2", 902, MORNING - timedelta(days=1))),
    "superseded": Case(CHECKIN, {"id": "c1", "concern": "residence"},
                       lambda env: env.ok(CHECKIN, _offline("o1", 900, MORNING, replaces="c1"))),
    "duplicate_ticket": Case(CHECKIN, {"id": "c2", "concern": "residence"}, _colliding_ids, heal=_heal("collide")),
    "unknown_service": Case(RECEPTION, {"id": "r1", "action": "move", "ticket": "A-001", "to_service": "nowhere",
                                        "operator": "frau-k"}, _waiting),
    "unknown_ticket": Case(RECEPTION, {"id": "r1", "action": "cancel", "ticket": "A-999", "operator": "frau-k"},
                           _waiting),
    "unknown_action": Case(COUNTER, {"id": "n2", "action": "explode"}, _waiting),
    "no_current_ticket": Case(COUNTER, {"id": "n2", "action": "done"}, _waiting),
    "wrong_state": Case(RECEPTION, {"id": "r1", "action": "return", "ticket": "A-001", "operator": "frau-k"},
                        _waiting),
    "missing_field": Case(RECEPTION, {"id": "r1", "action": "move", "ticket": "A-001", "operator": "frau-k"},
                          _waiting),
    "same_service": Case(COUNTER, {"id": "n2", "action": "transfer", "to_service": "aufenthalt"}, _at_counter),
    "busy": Case(COUNTER, {"id": "n2", "action": "pause"}, _at_counter),
    "bad_priority": Case(RECEPTION, {"id": "r1", "action": "priority", "ticket": "A-001", "priority": 10,
                                     "operator": "frau-k"}, _waiting),
    "expired": Case(COUNTER, {"id": "n2", "action": "next", "deadline": (MORNING - timedelta(seconds=5)).isoformat()},
                    _waiting),
    "storage": Case(CHECKIN, {"id": "c2", "concern": "residence"}, _store_down, heal=_heal("store")),
    "internal": Case(CHECKIN, {"id": "c2", "concern": "residence"}, _buggy_decider, heal=_heal("bug")),
}


def _snapshot(env: Env) -> tuple[Any, ...]:
    """Everything a refusal must leave as it was: the state in memory, the event log, stored replies and notes."""
    store = env.store
    return (copy.deepcopy(env.svc.state), list(store.events()), sorted(store.reply_keys_since(MORNING - timedelta(
        days=30))), store.notes_count())


def _readable(message: str) -> bool:
    """A sentence for people: words, printable, short, no Python leaking through."""
    return (len(message.split()) >= 3 and message.isprintable() and len(message) <= 300
            and not re.search(r"\bNone\b|Traceback|Error\(|<[a-z_.]+ object", message))


def _refusal(case: Case, pubs: list[Any], command_id: str | None, topic: str) -> str:
    """The code the refusal carries, after checking where it went and what it says; '' for no refusal."""
    errors = [p.CommandRejected.model_validate_json(x.payload) for x in pubs if x.topic == T.error()]
    own = reply_topic(T, topic) if case.response_topic == OWN else case.response_topic
    replies = [x for x in pubs if own is not None and x.topic == own]
    assert {x.topic for x in pubs} <= {T.error(), own}, "a refusal publishes nothing else"
    assert len(errors) == 1, f"one CommandRejected on the error topic, got {len(errors)}"
    rejected = errors[0]
    assert rejected.topic == topic and rejected.command_id == command_id
    assert _readable(rejected.message), rejected.message
    if not case.reply:
        assert replies == [], "no answer where the sender may not be answered"
        return rejected.code
    assert len(replies) == 1 and replies[0].correlation == b"corr"
    answer = json.loads(replies[0].payload)
    assert answer["ok"] is False and answer["id"] == (command_id or "unknown")
    assert answer["error"] == {"code": rejected.code, "message": rejected.message}
    return rejected.code


def _command_id(raw: bytes) -> str | None:
    try:
        value = json.loads(raw).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _params() -> list[Any]:
    """One case per row; a row the core does not yet produce as the table says is a strict xfail (on assertions)."""
    return [pytest.param(code, id=code, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=c.xfail)
                         if c.xfail else ()) for code, c in CASES.items()]


@SQLITE_ONLY
@pytest.mark.parametrize("code", _params())
def test_the_command_of_each_row_is_refused_with_its_code_and_changes_nothing(
        code: str, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[code]
    clock = Clock()
    env = Env(QueueService(error_site(), store, clock=clock), store, clock, monkeypatch)
    case.setup(env)
    payload = case.payload(env) if callable(case.payload) else case.payload
    raw = payload if isinstance(payload, bytes) else json.dumps({"v": 1, **payload}).encode()
    cid = _command_id(raw) if case.reads_id else None
    before = _snapshot(env)

    assert _refusal(case, env.send(case.topic, raw, case.response_topic), cid, case.topic) == code
    assert _snapshot(env) == before, "a refused command changed the state, the event log or the stored replies"
    assert env.svc.stats[f"rejected_{code}"] == 1

    retry = p.ERROR_CODES[code][1]
    assert retry == (case.heal is not None), "a row worth retrying needs the condition its scenario removes"
    if case.heal is None:  # not worth retrying: later, the very same message is refused the same way again
        clock.now += timedelta(minutes=1)
        assert _refusal(case, env.send(case.topic, raw, case.response_topic), cid, case.topic) == code
        assert _snapshot(env) == before
        return
    case.heal(env)
    pubs = env.send(case.topic, raw, case.response_topic)
    answers = [json.loads(x.payload) for x in pubs if x.topic == reply_topic(T, case.topic)]
    assert answers and answers[0]["ok"] is True, answers
    assert not [x for x in pubs if x.topic == T.error()]
    assert len(list(store.events())) > len(before[1]), "the retried command was carried out"


# --- the table and the code agree ----------------------------------------------------------------

SCANNED = ("queue_core", "queue_rules", "queue_protocol")
CODE_CALLS = frozenset({"Rejected", "ProtocolError", "Refusal", "refuse", "_refuse", "ErrorInfo"})
FORWARDED = re.compile(r"^(exc|refused|self)\.code$|^code$|^_field_code\(|^\*settled$")  # passed on, not made


def _produced_codes() -> tuple[set[str], list[str]]:
    """Every code literal the core, the rules and the protocol refuse with, and any code computed some other way."""
    found: set[str] = set()
    computed: list[str] = []
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and node.name == "_field_code":
                    found |= {r.value.value for r in ast.walk(node) if isinstance(r, ast.Return)
                              and isinstance(r.value, ast.Constant) and isinstance(r.value.value, str)}
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name not in CODE_CALLS:
                    continue
                keyword = next((k.value for k in node.keywords if k.arg == "code"), None)
                args = [keyword] if keyword is not None else node.args[3:4] if name == "_refuse" else node.args[:1]
                for arg in args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
                    elif not FORWARDED.match(ast.unparse(arg)):
                        computed.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(arg)}")
    return found, computed


def test_every_row_of_the_table_has_a_scenario_here() -> None:
    assert set(CASES) == set(p.ERROR_CODES), (
        f"rows without a scenario: {sorted(set(p.ERROR_CODES) - set(CASES))}; "
        f"scenarios without a row: {sorted(set(CASES) - set(p.ERROR_CODES))}")


def test_the_core_produces_every_code_of_the_table_and_no_other() -> None:
    found, computed = _produced_codes()
    assert not computed, f"codes computed where the scan cannot read them: {computed}"
    assert found - set(p.ERROR_CODES) == set(), f"produced but not in the table: {sorted(found - set(p.ERROR_CODES))}"
    assert set(p.ERROR_CODES) - found == set(), f"in the table, produced nowhere: {sorted(set(p.ERROR_CODES) - found)}"
    # at least what the older, regex-based scan (tests/test_protocol.py) sees
    for path in [*(REPO / "queue_core").rglob("*.py"), *(REPO / "queue_rules").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert set(re.findall(r'(?:Rejected|ProtocolError)\(\s*"([a-z_]+)"', text)) <= found, path


def test_the_published_table_says_what_the_code_says() -> None:
    doc = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
    for code, (meaning, retry) in p.ERROR_CODES.items():
        assert f"| `{code}` | {meaning} | {'yes' if retry else 'no'} |" in doc, code
