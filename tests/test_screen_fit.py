"""Every screen of every app with the real site file, audited (`ui_common.fit_audit`): text that does not fit its box,
text or glyphs cut off, labels drawn over each other, contrast below 7:1 (disabled states too), German on a
non-German screen. The tours run as `arkaden <app> --tour DIR` with ``ARKADEN_FIT_AUDIT`` set, so every screenshot
they take is audited; a test fails listing its app's problems (per kind, the first 30 of each; all of them, of all
apps, in artifacts/fit/problems.txt)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from queue_rules.site import Site, parse_site
from ui_common.fit_audit import read_reports

from .conftest import XServer
from .fit_helpers import findings, screen_language, summary
from .kiosk_tour_checks import check_kiosk_tour

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "sites" / "kia-aachen-arkaden.toml"
APPS = ("kiosk", "reception")  # the displays: tests/test_display_tour.py (every display, audited as it runs)
AUDITED = ("kiosk", "display", "reception")


def tours(app: str, site: Site, out: Path) -> list[list[str]]:
    """The `arkaden` command lines that render every screen of ``app``: the kiosk in every site language, reception
    in its languages (de, en)."""
    return [[app, "--site", str(SITE), "--tour", str(out)]]


def _site() -> Site:
    return parse_site(SITE.read_text(encoding="utf-8"), str(SITE))


@pytest.mark.slow
@pytest.mark.parametrize("app", APPS)
def test_every_screen_fits_is_readable_and_in_its_language(app: str, xserver: XServer, artifacts_dir: Path) -> None:
    site = _site()
    out = artifacts_dir / "fit" / app
    audit = out / "audit.jsonl"
    for old in (*out.glob("**/*.png"), audit):   # screens renamed since an earlier run must not linger
        old.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    for argv in tours(app, site, out):
        proc = subprocess.run([sys.executable, "-m", "arkaden_cli", *argv], cwd=REPO, capture_output=True, text=True,
                              env=xserver.env(ARKADEN_FIT_AUDIT=str(audit)), timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr[-4000:]
        if app == "kiosk":   # the kiosk's tour is slow: its own checks run on this one run (tests/kiosk_tour_checks.py)
            check_kiosk_tour(out, proc.stdout, artifacts_dir)
    check_fit(app, site, out, audit)


def check_fit(app: str, site: Site, out: Path, audit: Path) -> None:
    """The audit's findings for every screen an app's tours took (also called by tests/test_display_tour.py, whose
    tours of every display are audited as they run, so the displays are rendered once)."""
    reports = read_reports(audit)
    # the audit saw every screen the tours took (the kiosk's printed slips are drawn, not screenshots) ...
    shots = {png for png, _ in reports}
    assert shots and all(png.is_file() for png in shots)
    langs = {screen_language(app, png) for png in shots}
    if app in ("kiosk", "display"):
        assert set(site.site.languages) <= langs, langs
    # ... and each screen had text on it
    assert all(report.texts for _, report in reports), [png.name for png, r in reports if not r.texts]
    problems = findings(app, audit, site)
    (out.parent / f"problems-{app}.txt").write_text(summary(app, problems, examples=len(problems)) + "\n",
                                                     encoding="utf-8")
    _collect_problems(out.parent)
    assert not problems, summary(app, problems, examples=30) + f"\n(all of them: {out.parent / 'problems.txt'})"


def _collect_problems(fit_dir: Path) -> None:
    """artifacts/fit/problems.txt: the lists of every app audited so far (each test writes its own)."""
    parts = [(fit_dir / f"problems-{app}.txt") for app in AUDITED]
    text = "\n".join(p.read_text(encoding="utf-8") for p in parts if p.is_file())
    tmp = fit_dir / f".problems-{os.getpid()}.txt"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, fit_dir / "problems.txt")
