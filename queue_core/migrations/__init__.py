"""Alembic migrations for the store; `upgrade(engine)` brings a database to the newest schema."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine


def config() -> Config:
    """Alembic's configuration, pointing at this package's scripts (package data, read in place)."""
    here = resources.files(__name__)
    if not isinstance(here, Path):  # Alembic reads its scripts from a directory
        raise RuntimeError("the migrations are not a directory on disk: install arkaden unzipped")
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
