"""The systemd units, the Mosquitto drop-in and the environment example, shipped as package data."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .files import write_public


def unit_files() -> dict[str, bytes]:
    """Every shipped file below ``provisioning/data/systemd``, by its relative path (README excluded)."""
    root = resources.files("provisioning").joinpath("data", "systemd")
    out: dict[str, bytes] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            name = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, name + "/")
            elif child.name != "README.md":
                out[name] = child.read_bytes()

    walk(root, "")
    return out


def write_units(out: Path) -> list[Path]:
    """Write the shipped files into ``out`` (created if needed), keeping their sub-folders; the paths written."""
    written = []
    for name, data in unit_files().items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_public(target, data)
        written.append(target)
    return written
