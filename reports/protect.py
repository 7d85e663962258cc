"""Suppression of small client counts: cells of 1 to 4 shown as "< 5", and further cells ("•") until no reader can
work one of them out.

A `Ledger` holds every client count one section shows (in its tables, charts, CSVs and sentences) and the sums
that tie them together (`total = part + part + …`), including counts the reader never sees but can compute (a
difference, "check-ins without an interpreter"), which are `hidden`. The marks tell a reader: a shown number
exactly, "< 5" is 1–4, "•" is at least 5, a hidden count anything from 0.

A small count (1–4, shown as "< 5" or hidden) is protected when there is a witness: another table that fits every
shown number, every mark and every sum, in which that count is different. A witness is the table itself with a
few cells moved by one up or down so that every sum still holds (in a plain table: the four corners of a
rectangle, +1 −1 +1 −1); it is found by a bounded search along the sums. Whatever a reader combines, both tables
fit it, so the count cannot be worked out.

The pattern is found by revealing, not by suppressing: at first every non-zero count is suppressed; then the
counts of 5 and more are shown one by one, the largest first (totals before their parts), and each stays shown
only if every small count whose witness it moved finds another one. The result is protected by construction and
every "•" left is needed by the search (it may miss a witness that exists, never claim one that does not).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from .cells import THRESHOLD, Cell, count, protected, small

Key = tuple[str, ...]
INF = 10**12            # "no upper bound"
_HALF = INF // 2
_MAX_PASSES = 200


class Status(Enum):
    SHOWN = "shown"
    SMALL = "small"           # 1 to 4: "< 5"
    PROTECTED = "protected"   # suppressed to protect a small one: "•"
    HIDDEN = "hidden"         # never shown


Equation = tuple[Key, tuple[Key, ...]]


class Ledger:
    """The client counts of one section and their sums; `protect()` decides which are shown."""

    def __init__(self) -> None:
        self.values: dict[Key, int] = {}
        self.hidden: set[Key] = set()
        self.equations: list[Equation] = []
        self._status: dict[Key, Status] | None = None
        self._upper: dict[Key, int] = {}

    def put(self, key: Key, value: int, *, hidden: bool = False) -> Key:
        if key in self.values:
            raise ValueError(f"cell {key} twice")
        self.values[key] = max(value, 0)
        if hidden:
            self.hidden.add(key)
        self._status = None
        return key

    def sum_of(self, key: Key, parts: Sequence[Key], *, hidden: bool = False) -> Key:
        """A cell that is the sum of others (a total row or column)."""
        self.put(key, sum(self.values[p] for p in parts), hidden=hidden)
        if parts:
            self.equations.append((key, tuple(parts)))
        return key

    def tie(self, total: Key, parts: Sequence[Key]) -> bool:
        """Another sum that holds between existing cells (a total that two tables both show); false if it does
        not hold in the data, so no reader can rely on it either."""
        if sum(self.values[p] for p in parts) != self.values[total]:
            return False
        self.equations.append((total, tuple(parts)))
        self._status = None
        return True

    def value(self, key: Key) -> int:
        return self.values[key]

    def status(self, key: Key) -> Status:
        if self._status is None:
            self._status, self._upper = protection(self.values, self.equations, self.hidden)
        return self._status[key]

    def cell(self, key: Key) -> Cell:
        st = self.status(key)
        if st is Status.SHOWN:
            return count(self.values[key])
        if st is Status.SMALL:
            return small()
        if st is Status.PROTECTED:
            upper = self._upper[key]
            return protected(upper if upper < INF else None)
        raise KeyError(f"{key} is hidden")


def protect(values: dict[Key, int], equations: Sequence[Equation], hidden: set[Key]) -> dict[Key, Status]:
    """Which cells are shown, small ("< 5"), protected ("•") or hidden."""
    return protection(values, equations, hidden)[0]


def protection(values: dict[Key, int], equations: Sequence[Equation],
               hidden: set[Key]) -> tuple[dict[Key, Status], dict[Key, int]]:
    """The status of every cell, and the most each could be as far as a reader can tell (INF: no limit)."""
    search = _Witnesses(values, equations, hidden)
    for k in sorted((k for k, v in values.items() if v >= THRESHOLD and k not in hidden),
                    key=lambda k: (-values[k], k)):
        search.reveal(k)
    out: dict[Key, Status] = {}
    for k, v in values.items():
        if k in hidden:
            out[k] = Status.HIDDEN
        elif v == 0 or k in search.shown:
            out[k] = Status.SHOWN
        elif v < THRESHOLD:
            out[k] = Status.SMALL
        else:
            out[k] = Status.PROTECTED
    return out, _upper_bounds(values, equations, out)


class _Witnesses:
    """For every small count, a witness: cells to move by ±1 so that all sums hold and every mark stays true."""

    BUDGET = 4000                  # search steps per witness
    SIZES = (2, 4, 6, 8, 12, 16)   # cells moved, tried in turn

    def __init__(self, values: dict[Key, int], equations: Sequence[Equation], hidden: set[Key]) -> None:
        self.values, self.equations, self.hidden = values, list(equations), hidden
        self.by_key: dict[Key, list[int]] = {}
        for i, (total, parts) in enumerate(self.equations):
            for k in (total, *parts):
                self.by_key.setdefault(k, []).append(i)
        self.shown = {k for k, v in values.items() if v == 0 and k not in hidden}
        self.witness: dict[Key, dict[Key, int]] = {}
        self.uses: dict[Key, set[Key]] = {}
        for k, v in values.items():
            if 0 < v < THRESHOLD:
                found = self.find(k)
                if found is not None:  # else the layout alone gives it away: nothing to protect
                    self._keep(k, found)

    def _keep(self, k: Key, move: dict[Key, int]) -> None:
        old = self.witness.get(k, {})
        for m in old:
            self.uses.get(m, set()).discard(k)
        self.witness[k] = move
        for m in move:
            self.uses.setdefault(m, set()).add(k)

    def reveal(self, c: Key) -> bool:
        """Show c if every small count whose witness moved c finds another one."""
        self.shown.add(c)
        found: dict[Key, dict[Key, int]] = {}
        for k in sorted(self.uses.get(c, set())):
            move = self.find(k)
            if move is None:
                self.shown.discard(c)
                return False
            found[k] = move
        for k, move in found.items():
            self._keep(k, move)
        return True

    def room(self, m: Key, step: int) -> bool:
        """Whether m may move by step and keep its mark true."""
        if m in self.shown:
            return False
        v = self.values[m] + step
        if m in self.hidden:
            return v >= 0
        return 1 <= v < THRESHOLD if self.values[m] < THRESHOLD else v >= THRESHOLD

    def find(self, k: Key) -> dict[Key, int] | None:
        """The smallest witness the search finds: moves of 2 cells, then 4, 6, … (iterative deepening)."""
        steps = [1, -1] if self.values[k] < 2 or k in self.hidden else [-1, 1]
        budget = [self.BUDGET]
        for size in self.SIZES:
            for step in steps:
                if self.room(k, step):
                    move = {k: step}
                    off = {i: self._sign(i, k) * step for i in self.by_key.get(k, [])}
                    if self._balance(move, off, size, budget):
                        return dict(move)
            if budget[0] < 0:
                break
        return None

    def _sign(self, i: int, m: Key) -> int:
        """+1 if m is the sum of equation i, −1 if a part: how moving m up changes total − parts."""
        return 1 if self.equations[i][0] == m else -1

    def _balance(self, move: dict[Key, int], off: dict[int, int], size: int, budget: list[int]) -> bool:
        """Extend `move` (at most `size` cells) until no sum is off; `off`: sum → total − parts of the moves."""
        if not off:
            return True
        budget[0] -= 1
        if budget[0] < 0 or len(move) >= size:
            return False
        i = min(off, key=lambda j: (len(self.equations[j][1]), j))   # the tightest open sum first
        d = off[i]
        total, parts = self.equations[i]
        options = []
        for m in (total, *parts):
            if m in move:
                continue
            step = (-1 if d > 0 else 1) if m == total else (1 if d > 0 else -1)
            if not self.room(m, step):
                continue
            fresh = sum(1 for j in self.by_key.get(m, []) if j != i and j not in off)
            options.append((fresh, m in self.hidden, -self.values[m], m, step))
        for *_, m, step in sorted(options):
            move[m] = step
            saved = {j: off.get(j) for j in self.by_key.get(m, [])}
            for j in saved:
                v = off.get(j, 0) + self._sign(j, m) * step
                if v:
                    off[j] = v
                else:
                    off.pop(j, None)
            if self._balance(move, off, size, budget):
                return True
            for j, v0 in saved.items():
                if v0 is None:
                    off.pop(j, None)
                else:
                    off[j] = v0
            del move[m]
            if budget[0] < 0:
                return False
        return False


def _upper_bounds(values: dict[Key, int], equations: Sequence[Equation], status: dict[Key, Status]) -> dict[Key, int]:
    """The most each cell can be, by interval reasoning over the sums (for sentences: could a "•" be the largest?)."""
    lo: dict[Key, int] = {}
    hi: dict[Key, int] = {}
    for k, v in values.items():
        st = status[k]
        lo[k], hi[k] = {Status.SHOWN: (v, v), Status.SMALL: (1, THRESHOLD - 1),
                        Status.PROTECTED: (THRESHOLD, INF), Status.HIDDEN: (0, INF)}[st]
    for _ in range(_MAX_PASSES):
        changed = False
        for total, parts in equations:
            s_lo, s_hi = sum(lo[p] for p in parts), sum(hi[p] for p in parts)
            new = (max(lo[total], s_lo), min(hi[total], _cap(s_hi)))
            if new != (lo[total], hi[total]):
                (lo[total], hi[total]), changed = new, True
            for p in parts:
                p_new = (max(lo[p], lo[total] - (s_hi - hi[p])), min(hi[p], _cap(hi[total] - (s_lo - lo[p]))))
                if p_new != (lo[p], hi[p]):
                    s_lo, s_hi = s_lo + p_new[0] - lo[p], s_hi + p_new[1] - hi[p]
                    (lo[p], hi[p]), changed = p_new, True
        if not changed:
            break
    return hi


def _cap(v: int) -> int:
    return INF if v >= _HALF else v
