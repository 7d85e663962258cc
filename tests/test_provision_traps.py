"""`arkaden provision` re-runs and umasks: bridges are remembered, the output folder is private, ids are unique."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from provisioning.provision import BRIDGES_FILE, Options, ProvisionError, provision
from queue_rules.site import parse_site

from .engine_helpers import MINI

# a second box, so that two desks can have bridges of their own
TWO_BOXES = MINI.read_text() + '\n[[button_boxes]]\nid = "box-abh-2"\ncounter = "abh-2"\n'
DESKS = {"desk-a": ["box-abh-1"], "desk-b": ["box-abh-2"]}


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_rerun_without_bridge_keeps_the_bridges_of_the_last_run(tmp_path: Path) -> None:
    """The same command again, without --bridge, must not revoke a desk's bridge."""
    site, out = parse_site(TWO_BOXES, "two-boxes.toml"), tmp_path / "out"
    provision(site, out, Options(bridges=DESKS))
    before = _snapshot(out)
    report = provision(site, out, Options())  # no --bridge
    after = _snapshot(out)
    assert report.removed == [] and {"desk-a", "desk-b"} <= set(report.accounts), (report.removed, report.accounts)
    assert (out / BRIDGES_FILE).is_file()
    assert "buttons" not in report.accounts and not (out / "devices" / "buttons").exists()
    assert sorted(k for k in before if before[k] != after.get(k)) == ["broker/ca.crl"]  # nothing revoked or new
    assert "user desk-a" in (out / "broker" / "acl").read_text()
    assert any("as given before" in line for line in report.lines(out)), report.lines(out)

    # giving them again, changed, is how they change: the one left out is revoked
    report = provision(site, out, Options(bridges={"desk-a": ["box-abh-1", "box-abh-2"]}))
    assert report.removed == ["desk-b"] and "desk-b" in (out / "ca" / "revoked.txt").read_text()
    assert provision(site, out, Options()).accounts.keys() >= {"desk-a"}


def test_remembered_bridges_are_checked_like_given_ones(tmp_path: Path) -> None:
    site, out = parse_site(TWO_BOXES, "two-boxes.toml"), tmp_path / "out"
    provision(site, out, Options(bridges={"desk-a": ["box-abh-1"]}))
    # a box added later is served by no remembered bridge: the run says so instead of guessing
    report = provision(site, out, Options())
    assert report.unbridged == ["box-abh-2"]
    assert any("box-abh-2" in line and "served by no bridge" in line for line in report.lines(out))
    # a remembered bridge whose box left the site file: a clear error that names the file, nothing written
    smaller = parse_site(TWO_BOXES.replace('[[button_boxes]]\nid = "box-abh-1"\ncounter = "abh-1"\n', ""), "small")
    before = _snapshot(out)
    with pytest.raises(ProvisionError, match=r"bridge desk-a \(.*bridges\.toml\): unknown button box"):
        provision(smaller, out, Options())
    (out / BRIDGES_FILE).write_text("[bridges]\ndesk-a = 'box-abh-1'\n")
    with pytest.raises(ProvisionError, match="bridges.toml: expected a"):
        provision(site, out, Options())
    assert {k: v for k, v in _snapshot(out).items() if k != BRIDGES_FILE} == \
        {k: v for k, v in before.items() if k != BRIDGES_FILE}


def test_output_folder_is_private_whatever_the_umask(tmp_path: Path) -> None:
    """At umask 000 the folder that holds the CA key must still be 0700, and nothing in it writable by others."""
    out = tmp_path / "out"
    old = os.umask(0)
    try:
        provision(parse_site(MINI.read_text(), "mini.toml"), out)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir():
            assert mode == 0o700, f"{path}: {mode:o}"
        else:
            assert not mode & 0o022, f"{path}: {mode:o} is writable by others"


def test_a_bridge_named_like_a_printer_stops_the_run_before_anything_is_written(tmp_path: Path) -> None:
    site = parse_site(MINI.read_text() + '\n[[printers]]\nid = "drucker-1"\nurl = "dummy://"\n', "site.toml")
    out = tmp_path / "out"
    with pytest.raises(ProvisionError) as info:
        provision(site, out, Options(bridges={"drucker-1": ["box-abh-1"]}))
    assert "bridge 'drucker-1' (--bridge)" in str(info.value) and "printers[0].id" in str(info.value)
    assert not out.exists()
