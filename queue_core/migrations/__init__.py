"""Alembic migrations for the store; `upgrade(engine)` brings a database to the newest schema."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from host_support.package_data import package_path


def config() -> Config:
    """Alembic's configuration, pointing at this package's scripts (package data, read in place)."""
    here = package_path(__name__)  # Alembic reads its scripts from a directory
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
