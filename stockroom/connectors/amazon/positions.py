"""Where the Orders API download got to: the cursor the engine stores for an Amazon account.

The engine stores a position after every page (``OrderPage.next_cursor``), so a run stopped by
``searchOrders``' rate limit (a burst of 20 pages, then one every 180 s) resumes from the next page
instead of reading the window again from its first page. A position is JSON:

* ``until``: every order updated before this moment (Amazon's ``lastUpdatedBefore`` of the last
  window read completely) is stored;
* ``last``: the newest ``lastUpdatedTime`` of an order stored, which bounds the next run's re-read;
* ``window`` (only while a window is part-read): the window's ``after``, ``before`` (``None``: up to
  Amazon's bound), ``bound`` (the ``lastUpdatedBefore`` Amazon answered), the ``token`` of its next
  page and when it was ``issued``, the newest ``high`` time of its pages stored and whether they came
  in time order (``sorted``).

A cursor written before positions existed is a bare ISO time: it reads as ``until`` alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from . import mapping

# re-read this much before ``until`` (orders can appear in searchOrders after their lastUpdatedTime) ...
OVERLAP = timedelta(minutes=5)
# ... but not more than this before the newest order stored: a busy account re-reads about a minute of
# its own orders, not five (at 20 orders a minute five minutes are a page of 100 each poll)
OVERLAP_MARGIN = timedelta(minutes=1)
# a pagination token older than this is not tried (Amazon does not say how long one lives; the
# simulator keeps them 10 minutes); an older or refused one resumes the window another way
TOKEN_MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True)
class Window:
    after: datetime
    before: datetime | None = None
    bound: datetime | None = None
    token: str | None = None
    issued: datetime | None = None
    high: datetime | None = None
    sorted: bool = True

    def read(self, times: Iterable[datetime]) -> Window:
        """This window after one more page whose orders were updated at ``times`` (in page order)."""
        high, in_order = self.high, self.sorted
        for moment in times:
            if high is not None and moment < high:
                in_order = False
            high = moment if high is None else max(high, moment)
        return replace(self, high=high, sorted=in_order)

    def resume_after(self) -> datetime:
        """Where a fresh query picks the window up when its token cannot be used: from just before the
        newest order stored if the pages came in time order (all older ones came before it), else from
        the window's start."""
        if self.sorted and self.high is not None:
            return max(self.after, self.high - OVERLAP_MARGIN)
        return self.after


@dataclass(frozen=True)
class Position:
    until: datetime
    last: datetime | None = None
    window: Window | None = field(default=None)

    def overlap_start(self) -> datetime:
        """The ``lastUpdatedAfter`` of the next window: ``OVERLAP`` before ``until``, but no further
        back than ``OVERLAP_MARGIN`` before the newest order stored."""
        start = self.until - OVERLAP
        if self.last is not None:
            start = max(start, min(self.last, self.until) - OVERLAP_MARGIN)
        return start

    def with_last(self, moment: datetime | None) -> datetime | None:
        if moment is None:
            return self.last
        return moment if self.last is None else max(self.last, moment)

    def usable_token(self, now: datetime) -> str | None:
        window = self.window
        if window is None or not window.token or window.issued is None:
            return None
        return window.token if now - window.issued <= TOKEN_MAX_AGE else None

    def encode(self) -> str:
        data: dict = {"until": _iso(self.until), "last": _iso(self.last)}
        if self.window is not None:
            w = self.window
            data["window"] = {
                "after": _iso(w.after),
                "before": _iso(w.before),
                "bound": _iso(w.bound),
                "token": w.token,
                "issued": _iso(w.issued),
                "high": _iso(w.high),
                "sorted": w.sorted,
            }
        return json.dumps(data, separators=(",", ":"))


def decode(cursor: str | None) -> Position | None:
    """The stored cursor as a position; ``None`` when there is none or it cannot be read (the caller
    then starts as on a first run)."""
    text = (cursor or "").strip()
    if not text:
        return None
    try:
        if not text.startswith("{"):
            moment = mapping.parse_time(text, field="cursor")
            return Position(until=moment) if moment else None
        data = json.loads(text)
        until = mapping.parse_time(data["until"], field="until")
        if until is None:
            return None
        window = None
        raw = data.get("window")
        if isinstance(raw, Mapping):
            after = mapping.parse_time(raw["after"], field="after")
            if after is not None:
                window = Window(
                    after=after,
                    before=mapping.parse_time(raw.get("before"), field="before"),
                    bound=mapping.parse_time(raw.get("bound"), field="bound"),
                    token=str(raw["token"]) if raw.get("token") else None,
                    issued=mapping.parse_time(raw.get("issued"), field="issued"),
                    high=mapping.parse_time(raw.get("high"), field="high"),
                    sorted=bool(raw.get("sorted", False)),
                )
        return Position(until=until, last=mapping.parse_time(data.get("last"), field="last"), window=window)
    except (mapping.MappingError, ValueError, KeyError, TypeError, AttributeError):
        return None


def updated_times(raw_orders: Iterable) -> list[datetime]:
    """The ``lastUpdatedTime`` of each raw order of a page that has a readable one, in page order."""
    times = []
    for raw in raw_orders:
        try:
            moment = mapping.parse_time(raw.get("lastUpdatedTime"), field="lastUpdatedTime")
        except (mapping.MappingError, AttributeError):
            continue
        if moment is not None:
            times.append(moment)
    return times


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else mapping.iso_z(moment)
