"""The floors hold: import-linter's contracts from pyproject.toml, and no module that imports itself round about."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
PACKAGES: list[str] = CONFIG["root_packages"]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).with_name("lint-imports")
    assert tool.exists(), f"{tool} is missing: import-linter is in the test extras (./scripts/test installs it)"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd), "HOME": str(cwd)}
    return subprocess.run([str(tool), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_layers_every_contract_is_kept() -> None:
    run = _lint_imports(REPO)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout or "broken" not in run.stdout, run.stdout


def test_layers_every_package_of_the_checkout_is_under_contract() -> None:
    on_disk = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests"}
    assert on_disk == set(PACKAGES), f"add new packages to [tool.importlinter] root_packages: {on_disk ^ set(PACKAGES)}"


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_layers_no_module_imports_itself_round_about() -> None:
    """Stricter than the sibling contract: a package's __init__ and its own modules may not import each other."""
    cycles = _cycles(grimp.build_graph(*PACKAGES))
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_layers_a_lazy_import_up_the_floors_or_round_about_is_caught(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"),
                        copy_function=lambda src, dst: shutil.copy2(src, dst) if src.endswith(".py") else None)
    shutil.copy2(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    assert _lint_imports(tmp_path).returncode == 0, "the copy alone must pass"

    site = tmp_path / "queue_rules" / "site.py"
    clean = site.read_text(encoding="utf-8")
    site.write_text(clean + "\n\ndef _sneak() -> None:\n    from kiosk_app import flow  # noqa: F401\n",
                    encoding="utf-8")  # the domain reaching up into an app, lazily
    run = _lint_imports(tmp_path)
    assert run.returncode != 0 and "queue_rules is not allowed to import kiosk_app" in run.stdout, run.stdout

    site.write_text(clean + "\n\ndef _sneak() -> None:\n    from queue_rules import stats  # noqa: F401\n",
                    encoding="utf-8")  # stats imports site: a cycle inside the domain
    run = _lint_imports(tmp_path)
    assert run.returncode != 0 and "No cycles are allowed in queue_rules" in run.stdout, run.stdout
