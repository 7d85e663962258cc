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
