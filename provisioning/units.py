"""The systemd units, the Mosquitto drop-in and the environment example, shipped as package data."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .files import write_public

# The unit of each role that logs in to the broker. Each runs as a system user of its own and reads its bundle
# from a directory of its own, so that no service can read another's credentials: the button bridge (it parses
# USB input) and the web server (it answers browsers) often run next to the core.
UNIT_OF_ROLE: dict[str, str] = {"core": "core", "kiosk": "kiosk", "display": "display", "reception": "reception",
                                "bridge": "buttons", "web": "web"}


def service_user(role: str) -> str:
    """The system user (and group) a role's unit runs as: ``arkaden-core``, ``arkaden-buttons``, ..."""
    return f"arkaden-{UNIT_OF_ROLE[role]}"


def bundle_dir(role: str) -> str:
    """Where a role's unit reads its device bundle: ``/etc/arkaden/core``, ``/etc/arkaden/buttons``, ..."""
    return f"/etc/arkaden/{UNIT_OF_ROLE[role]}"


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
