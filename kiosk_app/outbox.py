"""The kiosk's durable outbox (SQLite): offline tickets, the numbers used from its block, handed in later.

Each entry is one offline check-in with a stable command id, so a resend after a lost reply is answered by
the core from its record instead of creating a second ticket. The numbers used are the entries themselves
(unique per local day), so a restarted kiosk continues its block where it stopped and never repeats a number.
A refusal the protocol calls worth retrying (``storage``, ``internal``, ``rate_limited``) leaves an entry pending
with the refusal noted (``note_refusal``); only a final one marks it rejected. Entries handed in or refused are
deleted once older than the retention period (`keep_days`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

State = Literal["pending", "sent", "rejected"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    cid TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    number INTEGER NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    core_number TEXT,
    error TEXT,
    UNIQUE (day, number)
);
"""


class OutboxError(RuntimeError):
    pass


@dataclass(frozen=True)
class Entry:
    cid: str
    day: str
    number: int
    payload: dict[str, Any]
    state: State
    core_number: str | None = None
    error: str | None = None


class Outbox:
    """One SQLite file; every write is a committed transaction before the slip is printed."""

    def __init__(self, path: Path, kiosk_id: str, *, keep_days: int = 30):
        self.path, self.kiosk_id, self.keep_days = path, kiosk_id, keep_days
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise OutboxError(f"{path}: cannot open the kiosk's outbox: {exc}") from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def issue(self, day: date, block: tuple[int, int], payload: dict[str, Any]) -> Entry | None:
        """Take the next unused number of ``block`` for ``day`` and store the check-in; None when used up.

        ``payload`` is the CheckIn body without ``offline_number``; it is stored with the number added.
        """
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT MAX(number) FROM outbox WHERE day = ?", (day.isoformat(),)).fetchone()
                number = block[0] if row[0] is None else max(row[0] + 1, block[0])
                if number > block[1]:
                    db.execute("ROLLBACK")
                    return None
                cid = f"{self.kiosk_id}-off-{day.strftime('%Y%m%d')}-{number}-{uuid.uuid4().hex[:6]}"
                body = {**payload, "offline_number": number}
                db.execute("INSERT INTO outbox (cid, day, number, payload) VALUES (?, ?, ?, ?)",
                           (cid, day.isoformat(), number, json.dumps(body)))
                self._forget(day - timedelta(days=self.keep_days))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return Entry(cid, day.isoformat(), number, body, "pending")

    def forget_before(self, day: date) -> int:
        """Delete entries of days before `day` that were handed in or refused (they carry a client's language and
        party): the retention period (the site's policy.retention_days). Pending ones stay until handed in."""
        with self._lock:
            return self._forget(day)

    def _forget(self, day: date) -> int:
        cur = self._db.execute("DELETE FROM outbox WHERE day < ? AND state != 'pending'", (day.isoformat(),))
        return int(cur.rowcount)

    def pending(self) -> list[Entry]:
        """Entries not yet handed to the core, oldest first."""
        return self._select("WHERE state = 'pending' ORDER BY day, number")

    def all(self) -> list[Entry]:
        return self._select("ORDER BY day, number")

    def _select(self, where: str) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT cid, day, number, payload, state, core_number, error FROM outbox {where}").fetchall()
        return [Entry(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6]) for r in rows]

    def mark_sent(self, cid: str, core_number: str) -> None:
        self._set(cid, "sent", core_number, None)

    def mark_rejected(self, cid: str, error: str) -> None:
        """The core refused the entry for good (e.g. an unknown booking code, ``offline_expired``, ``superseded``):
        kept, counted, for reception to see; never sent again."""
        self._set(cid, "rejected", None, error[:200])

    def note_refusal(self, cid: str, error: str) -> None:
        """The core refused the entry for now (e.g. ``storage`` while its database restarts): it stays pending and
        goes again with the same id; the refusal is noted for whoever looks."""
        with self._lock:
            self._db.execute("UPDATE outbox SET error = ? WHERE cid = ? AND state = 'pending'", (error[:200], cid))

    def _set(self, cid: str, state: State, core_number: str | None, error: str | None) -> None:
        with self._lock:
            self._db.execute("UPDATE outbox SET state = ?, core_number = ?, error = ? WHERE cid = ?",
                             (state, core_number, error, cid))

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        out = {"pending": 0, "sent": 0, "rejected": 0}
        out.update({r[0]: r[1] for r in rows})
        return out
