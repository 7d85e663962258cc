"""Files shipped inside the packages (package data), as paths on disk for the tools that open them by name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


class PackageDataError(RuntimeError):
    """Package data that is not a file on disk (a zipped install): Alembic, Kivy, gettext, Mosquitto and sox
    open their files by path."""


def package_path(package: str, *parts: str) -> Path:
    """The path of a file or directory shipped in ``package``, found with importlib.resources."""
    found = resources.files(package).joinpath(*parts)
    if not isinstance(found, Path):
        where = "/".join([package.replace(".", "/"), *parts])
        raise PackageDataError(f"{where} is not on disk: install arkaden unzipped")
    return found
