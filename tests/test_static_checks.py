"""Static checks run with the tests: ruff (rules pinned in pyproject.toml) and mypy --strict on every package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    tool = Path(sys.executable).with_name(name)
    assert tool.exists(), f"{tool} is missing: it is in the test extras (./scripts/test installs them)"
    return str(tool)


def test_static_checks_ruff_finds_nothing() -> None:
    run = subprocess.run([_tool("ruff"), "check", "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_static_checks_mypy_strict_finds_nothing() -> None:
    # the packages and the strictness come from [tool.mypy] in pyproject.toml
    run = subprocess.run([_tool("mypy")], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success: no issues found" in run.stdout, run.stdout


def test_static_checks_every_type_ignore_says_why() -> None:
    """The few `type: ignore`s that remain name their error code and give a reason after it."""
    bare = []
    for path in REPO.glob("*/**/*.py"):
        if path.parts[len(REPO.parts)] in {".venv", "tests", "build"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "type: ignore" not in line:
                continue
            _, _, after = line.partition("type: ignore")
            if not after.startswith("[") or "#" not in after.split("]", 1)[1]:
                bare.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert bare == [], "type: ignore without [code] and a reason:\n" + "\n".join(bare)
