"""Access rules: every family has a rule for every role, the rendered ACL, and the bundle/login options."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from device_link.broker_auth import BrokerConfigError, add_arguments, from_args, load_broker_config
from provisioning import acl
from queue_protocol.topics import SPECS

from .engine_helpers import mini_site
from .security_helpers import BRIDGES, security_site
from .test_broker_security import INTENDED, PARAMS, USERS, expected


def test_every_topic_family_has_a_rule_for_every_role() -> None:
    assert acl.missing_rules() == [] and acl.unknown_rules() == []


def test_a_new_family_without_rules_stops_the_acl(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    extra = replace(SPECS[-1], name="gossip", pattern="private/gossip")
    monkeypatch.setattr(acl, "SPECS", (*SPECS, extra))
    assert ("kiosk", "gossip") in acl.missing_rules()
    with pytest.raises(acl.AclError, match="gossip"):
        acl.grants(acl.Account("kiosk-1", "kiosk", ("kiosk-1",)), "mini")


def test_rules_agree_with_the_intended_matrix() -> None:
    site, _ = security_site()
    accounts = {a.user: a for a in acl.accounts(site, BRIDGES)}
    for role, (user, _own) in USERS.items():
        account = accounts[user]
        for spec in SPECS:
            placeholder = (spec.pattern[spec.pattern.index("{") + 1: spec.pattern.index("}")]
                           if "{" in spec.pattern else None)
            for param in PARAMS[placeholder] if placeholder else [None]:
                for action in ("publish", "subscribe"):
                    assert acl.allowed(account, spec.name, param, action) == expected(role, spec.name, param, action), \
                        (user, spec.name, param, action)
    assert set(INTENDED) == set(acl.ROLES)


def test_rendered_acl_has_no_patterns_and_nothing_for_anonymous_clients() -> None:
    site = mini_site()
    text = acl.render_acl(site, acl.accounts(site))
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert lines[0].startswith("user ")  # no topic line before the first user: anonymous gets nothing
    assert not any(ln.startswith("pattern") for ln in lines)
    blocks = {}
    for block in text.split("\n\n"):
        users = [ln.removeprefix("user ") for ln in block.splitlines() if ln.startswith("user ")]
        if users:
            blocks[users[0]] = block
    assert set(blocks) == {"core", "kiosk-1", "display-1", "box-abh-1", "reception", "buttons"}
    display = blocks["display-1"]
    assert "topic read arkaden/v1/mini/public/board" in display
    assert "private" not in display and "reply" not in display and "cmd/" not in display
    assert "topic write arkaden/v1/mini/presence/display-1" in display
    assert "topic readwrite arkaden/v1/mini/#" in blocks["core"]


def test_a_kiosk_may_publish_its_own_printers_presence_only() -> None:
    from host_support.site_file import load_site

    site = load_site(Path(__file__).resolve().parents[1] / "sites" / "kia-aachen-arkaden.toml")
    kiosk = next(a for a in acl.accounts(site) if a.user == "kiosk-eingang")
    assert acl.allowed(kiosk, "presence", "drucker-eingang", "publish")
    assert not acl.allowed(kiosk, "presence", "drucker-1og", "publish")
    assert not acl.allowed(kiosk, "presence", "kiosk-1og", "publish")
    # ... but the printer's id is no second kiosk identity
    for family in ("checkin", "lookup"):
        assert not acl.allowed(kiosk, family, "drucker-eingang", "publish")
    assert not acl.allowed(kiosk, "reply", "drucker-eingang", "subscribe")
    lines = acl.grants(kiosk, site.site.id)
    assert [t for _a, t in lines if "drucker-eingang" in t] == ["arkaden/v1/kia-aachen/presence/drucker-eingang"]


def test_accounts_refuse_unknown_bridge_boxes_and_clashing_ids() -> None:
    site = mini_site()
    with pytest.raises(acl.AclError, match="box-nope"):
        acl.accounts(site, {"buttons": ["box-nope"]})
    with pytest.raises(acl.AclError, match="kiosk-1"):
        acl.accounts(site, {"kiosk-1": ["box-abh-1"]})
    default = {a.user: a for a in acl.accounts(site)}
    assert default["buttons"].devices == ("buttons", "box-abh-1") and default["buttons"].counters == ("abh-1",)


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_login_options_and_device_bundles(tmp_path: Path) -> None:
    assert from_args(_args()).auth is None  # the dev broker: anonymous, defaults unchanged
    (tmp_path / "pw").write_text("s3cret\n")
    settings = from_args(_args("--broker-user", "core", "--broker-password-file", str(tmp_path / "pw")))
    assert settings.auth is not None and settings.auth.password == "s3cret" and "s3cret" not in repr(settings)
    with pytest.raises(BrokerConfigError, match="--tls-key"):
        from_args(_args("--tls-ca", "ca.crt", "--tls-cert", "c.crt"))
    with pytest.raises(BrokerConfigError, match="does not exist"):
        from_args(_args("--tls-ca", str(tmp_path / "missing.crt")))
    (tmp_path / "device.toml").write_text('[device]\nid = "kiosk-1"\n[broker]\nhost = "srv"\nport = 8883\n'
                                          'username = "kiosk-1"\nca = "ca.crt"\n')
    with pytest.raises(BrokerConfigError, match="ca.crt does not exist"):
        load_broker_config(tmp_path / "device.toml")
    (tmp_path / "ca.crt").write_text("x")
    s = from_args(_args("--broker-config", str(tmp_path / "device.toml")))
    assert (s.host, s.port, s.device_id) == ("srv", 8883, "kiosk-1") and s.auth and s.auth.ca == tmp_path / "ca.crt"
    s = from_args(_args("--broker-config", str(tmp_path / "device.toml"), "--host", "other"))
    assert s.host == "other" and s.port == 8883
    with pytest.raises(BrokerConfigError, match="no \\[broker\\]"):
        (tmp_path / "bad.toml").write_text("[device]\n")
        load_broker_config(tmp_path / "bad.toml")


def test_security_doc_shows_the_current_matrix() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "security.md").read_text()
    start, end = doc.index("<!-- acl-matrix:start"), doc.index("<!-- acl-matrix:end -->")
    table = doc[doc.index("\n", start) + 1: end]
    assert table == acl.matrix_markdown(), "docs/security.md is stale: paste acl.matrix_markdown() between the markers"


def test_the_web_roles_matrix_cells() -> None:
    rows = [line.split(" | ") for line in acl.matrix_markdown().splitlines()[2:]]
    web = {row[0].removeprefix("| "): row[acl.ROLES.index("web") + 2].removesuffix(" |") for row in rows}
    assert web == {
        "checkin": "–", "lookup": "write own", "counter_cmd": "write", "reception_cmd": "–",
        "desk_lookup": "write own", "reply": "read own", "call": "read", "board": "read", "queue": "read",
        "counter_state": "read", "tickets": "read", "event": "read", "error": "–",
        "presence": "write own, read core's",
    }
    desk = {row[0].removeprefix("| "): row for row in rows}["desk_lookup"]
    cells = dict(zip(acl.ROLES, (c.removesuffix(" |") for c in desk[2:]), strict=True))
    # only the web server asks desk questions; the core answers, reception reads everything anyway
    assert cells == {"core": "read, write", "kiosk": "–", "display": "–", "button_box": "–", "bridge": "–",
                     "reception": "read", "web": "write own"}


def test_rendered_acl_of_a_site_with_web_servers() -> None:
    site, _ = security_site()
    accounts = acl.accounts(site, BRIDGES)
    assert [(a.user, a.role, a.devices) for a in accounts if a.role == "web"] == [
        ("web", "web", ("web",)), ("web-2", "web", ("web-2",))]
    text = acl.render_acl(site, accounts)
    blocks = {block.splitlines()[1].removeprefix("user "): block.splitlines() for block in text.split("\n\n")[1:]}
    root = "topic {} arkaden/v1/mini/{}".format
    assert blocks["web"] == ["# web", "user web",
                             root("write", "cmd/lookup/web"), root("write", "cmd/counter/+"),
                             root("write", "cmd/desk/web"), root("read", "reply/web"),
                             root("read", "public/call"), root("read", "public/board"), root("read", "public/queue/+"),
                             root("read", "public/counter/+"), root("read", "private/tickets"),
                             root("read", "private/event/+"), root("write", "presence/web"),
                             root("read", "presence/core")]
    assert blocks["web-2"][1:] == [line.replace("/web", "/web-2").replace("user web", "user web-2")
                                   for line in blocks["web"][1:]]
    for user, lines in blocks.items():
        if user not in {"web", "web-2"}:
            assert not any("cmd/desk/" in line for line in lines), user  # the core and reception read the tree
    assert blocks["reception"][2:] == [root("read", "#"), root("write", "cmd/reception/reception"),
                                       root("write", "presence/reception")]


@pytest.mark.parametrize(("bridges", "message"), [
    ({"drucker-eingang": ["box-abh-1"]}, "already used by printers[0].id in the site file"),
    ({"kiosk-1": ["box-abh-1"]}, "already used by kiosks[0].id in the site file"),
    ({"core": ["box-abh-1"]}, "'core' is the queue core's account"),
    ({"#": ["box-abh-1"]}, "an id is 1-32 of a-z"),
    ({"desk/+": ["box-abh-1"]}, "an id is 1-32 of a-z"),
    ({"desk-a": ["box-abh-1"], "desk-b": ["box-abh-1"]}, "box-abh-1 is served by two bridges (--bridge): desk-a and "
                                                         "desk-b"),
])
def test_a_bridge_cannot_take_an_id_of_the_site_or_share_a_box(bridges: dict[str, list[str]], message: str) -> None:
    """A bridge id is one more account and presence: it must not be a printer's (whose presence a kiosk writes),
    a device's or the core's, nor a topic wildcard, and a box has one bridge."""
    from queue_rules.site import parse_site

    from .engine_helpers import MINI

    site = parse_site(MINI.read_text() + '\n[[printers]]\nid = "drucker-eingang"\nurl = "dummy://"\n', "mini+")
    with pytest.raises(acl.AclError) as info:
        acl.accounts(site, bridges)
    assert message in str(info.value)
    assert acl.accounts(mini_site(), {"desk-a": ["box-abh-1"]})[-1].user == "desk-a"  # a fresh name is fine


def test_no_account_writes_another_accounts_presence() -> None:
    """Over the real site: each presence topic is written by exactly one account (the core writes them all)."""
    from host_support.site_file import load_site

    site = load_site(Path(__file__).resolve().parents[1] / "sites" / "kia-aachen-arkaden.toml")
    writers: dict[str, set[str]] = {}
    for account in acl.accounts(site):
        if account.role == "core":
            continue
        for access, topic in acl.grants(account, site.site.id):
            if "/presence/" in topic and access in ("write", "readwrite"):
                writers.setdefault(topic.rsplit("/", 1)[1], set()).add(account.user)
    assert "core" not in writers and "+" not in writers
    # an account's presence is written by itself (a box's also by the one bridge that speaks for it, by design);
    # a printer's, which is no account, by its one kiosk
    bridge_of = {box: a.user for a in acl.accounts(site) if a.role == "bridge" for box in a.devices[1:]}
    users = {a.user for a in acl.accounts(site)}
    shared = {device: who for device, who in writers.items()
              if (device in users and who - {device, bridge_of.get(device)}) or (device not in users and len(who) > 1)}
    assert not shared and writers["drucker-eingang"] == {"kiosk-eingang"}, shared


def test_the_acl_refuses_a_printer_presence_that_is_another_account_even_past_the_site_check() -> None:
    """The site loader refuses `[[printers]] id = "core"`; should such a site be built without it, the ACL still
    never lets the kiosk write `presence/core` (or another device's presence)."""
    from queue_rules.site import Kiosk

    site = mini_site()
    for printer in ("core", "display-1", "buttons"):
        forged = site.model_copy(update={"kiosks": [Kiosk(id="kiosk-1", printer=printer)]})  # no validation
        with pytest.raises(acl.AclError, match=f"'{printer}' is the presence of kiosk-1 and an account"):
            acl.accounts(forged)
