"""The protocol contract: topics round-trip, payloads refuse bad input, docs/protocol.md is current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import queue_protocol as p
from queue_protocol import docs

REPO = Path(__file__).resolve().parents[1]


def test_docs_protocol_md_is_generated_from_the_models() -> None:
    assert (REPO / "docs" / "protocol.md").read_text(encoding="utf-8") == docs.render(), (
        "docs/protocol.md is stale: run `arkaden protocol-docs`")


def test_every_payload_model_is_documented() -> None:
    text = docs.render()
    for name in p.payloads.__all__:
        model = getattr(p, name)
        if isinstance(model, type) and issubclass(model, p.Payload) and model is not p.Payload:
            assert f"### {name}" in text


def test_every_topic_builder_round_trips_through_the_parser() -> None:
    t = p.Topics("kia-aachen")
    built = {
        "checkin": t.checkin("kiosk-eg"), "lookup": t.lookup("kiosk-eg"), "counter_cmd": t.counter_cmd("abh-1"),
        "reception_cmd": t.reception_cmd("empfang"), "reply": t.reply("kiosk-eg"), "call": t.call(),
        "board": t.board(), "queue": t.queue("jobcenter"), "counter_state": t.counter_state("abh-1"),
        "tickets": t.tickets(), "event": t.event("ticket_called"), "error": t.error(),
        "presence": t.presence("display-eg"), "desk_lookup": t.desk_lookup("web"),
    }
    assert set(built) == {s.name for s in p.SPECS}
    for name, topic in built.items():
        assert topic.startswith("arkaden/v1/kia-aachen/")
        assert t.parse(topic).spec.name == name


@pytest.mark.parametrize("bad", ["", "a/b", "+", "#"])
def test_topic_parameters_cannot_inject_levels_or_wildcards(bad: str) -> None:
    with pytest.raises(p.TopicError):
        p.Topics("x").counter_cmd(bad)


def test_public_topics_are_the_ones_displays_may_read() -> None:
    public = {s.name for s in p.SPECS if s.audience == "public"}
    assert public == {"call", "board", "queue", "counter_state"}
    for spec in p.SPECS:
        assert spec.pattern.startswith("public/") == (spec.audience == "public")


def test_public_payloads_have_no_personal_fields() -> None:
    personal = {"name", "token", "booking_code", "note", "language", "party_size", "interpreter", "step_free",
                "operator", "id", "ticket"}
    for spec in p.SPECS:
        if spec.audience == "public":
            for model in spec.payloads:
                fields = set(json.dumps(model.model_json_schema()).split('"'))
                assert not personal & set(model.model_fields), (model.__name__, personal & set(model.model_fields))
                assert "booking_code" not in fields


def test_parse_payload_names_the_problem() -> None:
    with pytest.raises(p.ProtocolError) as exc:
        p.parse_payload(p.CounterCommand, json.dumps({"v": 1, "id": "x", "action": "next", "to": 1}).encode())
    assert exc.value.code == "bad_payload" and "CounterCommand.to" in exc.value.message
    assert exc.value.command_id == "x"
    with pytest.raises(p.ProtocolError) as exc:
        p.parse_payload(p.CheckIn, json.dumps({"v": 1, "id": "x", "concern": "a", "booking_code": "ABCD"}).encode())
    assert "exactly one of" in exc.value.message


def test_cli_check_mode_detects_a_stale_document(tmp_path: Path) -> None:
    stale = tmp_path / "protocol.md"
    stale.write_text("# old\n")
    run = subprocess.run([sys.executable, "-m", "arkaden_cli", "protocol-docs", "--check", "--out", str(stale)],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "stale" in run.stderr


def test_core_package_never_imports_ui_or_hardware_libraries() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        "for top in ('queue_rules', 'queue_protocol', 'device_link', 'host_support', 'queue_core'):\n"
        "    pkg = importlib.import_module(top)\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, top + '.'):\n"
        "        if m.name.startswith('queue_core.migrations.'): continue  # alembic scripts, run by alembic\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('kivy', 'serial', 'escpos'))\n"
        "print(','.join(bad))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""


def test_every_error_code_the_core_uses_is_documented() -> None:
    import re

    used: set[str] = set()
    for path in [*(REPO / "queue_core").rglob("*.py"), *(REPO / "queue_rules").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'(?:Rejected|ProtocolError)\(\s*"([a-z_]+)"', text))
        used |= set(re.findall(r'_refuse\([^"\n]*"([a-z_]+)"', text))
    assert used, "the scan found no codes: the pattern is broken"
    assert used - {"id"} <= set(p.ERROR_CODES), f"undocumented: {sorted(used - {'id'} - set(p.ERROR_CODES))}"
    assert "| `bad_json` |" in docs.render()
