"""The devices' presence log in the store: a row per change of a device's (online, paper), for downtime figures."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from queue_rules.device_time import PresenceChange

from .tables import DeviceLog, as_utc


class DeviceStore:
    """The device log part of the Store (a mixin: the Store gives it its engine). No client data in here."""

    engine: Engine

    def record_presence(self, *, at: datetime, device: str, kind: str, online: bool, paper: str) -> int:
        """Store one change of a device's presence, stamped `at` (the core's clock at receipt); its seq."""
        row = DeviceLog(at=as_utc(at), device=device, kind=kind, online=online, paper=paper)
        with Session(self.engine, expire_on_commit=False) as s:
            s.add(row)
            s.commit()
        assert row.seq is not None
        return row.seq

    def last_presence(self) -> dict[str, tuple[bool, str]]:
        """Each device's last stored (online, paper): what the core knows at start-up."""
        with Session(self.engine) as s:
            rows = s.exec(select(DeviceLog).where(col(DeviceLog.seq).in_(_last_seqs()))).all()
            return {r.device: (r.online, r.paper) for r in rows}

    def presence_changes(self, since: datetime, until: datetime) -> list[PresenceChange]:
        """Every change in [since, until), plus each device's last change before `since` (its state then),
        by time."""
        with Session(self.engine) as s:
            rows = s.exec(select(DeviceLog).where(or_(
                sa.and_(col(DeviceLog.at) >= as_utc(since), col(DeviceLog.at) < as_utc(until)),
                col(DeviceLog.seq).in_(_last_seqs(before=since)),
            )).order_by(col(DeviceLog.at), col(DeviceLog.seq))).all()
            return [PresenceChange(as_utc(r.at), r.device, r.kind, r.online, r.paper) for r in rows]

    def drop_presence_before(self, t: datetime) -> int:
        """The retention purge: delete changes before `t` but each device's last one (its state at `t`);
        returns how many rows went."""
        with Session(self.engine) as s:
            gone = s.execute(sa.delete(DeviceLog).where(col(DeviceLog.at) < as_utc(t),
                                                        col(DeviceLog.seq).not_in(_last_seqs(before=t))))
            s.commit()
            return int(getattr(gone, "rowcount", 0) or 0)


def _last_seqs(before: datetime | None = None) -> SelectOfScalar[int | None]:
    """Per device, the seq of its last row (before a time, if given)."""
    q = select(sa.func.max(DeviceLog.seq))
    if before is not None:
        q = q.where(col(DeviceLog.at) < as_utc(before))
    return q.group_by(col(DeviceLog.device))
