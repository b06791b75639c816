"""What quantity a listing shows, and why: listing quantity rules and the reserve (ADR 0015).

Pure functions and frozen dataclasses only (no ORM, no clock): the stock push sends what
``listing_quantity`` computes, and the listing screen, the API and the CLI show its sentence.

The rules, per account (its options) with per-listing overrides, are applied in this order:

1. **ignore**: nothing is sent (``quantity`` is None);
2. **fixed quantity**: that number, whatever is available (made to order, a supplier's stock);
3. **minimum level**: available at or below it shows 0;
4. **the reserve**: units held back for other channels whose orders reach Stockroom late;
5. **percentage** of what is left, rounded down;
6. **at most** (the maximum shown).

The result is never negative. The reserve (``reserve_shares``) splits low stock among the accounts
that list an item when what they may sell before the others show it (at least one unit each; more at
their pace over their order delay plus the time their channel takes to show a new quantity) exceeds
what is available: the units stay where buyers already see them, then go to the fastest seller, and
the shares never add up to more than is available, counting what a slow channel still shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

RULE_FIELDS = ("max_quantity", "min_level", "percentage", "fixed_quantity")


@dataclass(frozen=True)
class QuantityRules:
    """A listing's rules; None = not set. ``percentage`` is 0-100."""

    max_quantity: int | None = None
    min_level: int | None = None
    percentage: int | None = None
    fixed_quantity: int | None = None
    ignore: bool = False

    def overridden_by(self, overrides: Mapping[str, int | None]) -> QuantityRules:
        """These rules with each override that is set (not None) in its place."""
        return replace(self, **{key: overrides[key] for key in RULE_FIELDS if overrides.get(key) is not None})


@dataclass(frozen=True)
class ChannelPace:
    """How one account sells an item, how late its orders reach Stockroom and, for the reserve at low
    stock, what its listing of the item shows now."""

    account_id: int
    account_name: str
    delay_seconds: float  # p95 of (purchase time on the channel -> imported)
    units_per_day: float  # this item's recent sales on the account
    # how long the channel takes to show a quantity it took (Amazon: minutes); 0 = at once
    visible_after_seconds: float = 0.0
    # what its listing is believed to show now: the last quantity it took, less its own sales since
    # (None: not known, nothing sent yet)
    showing: int | None = None
    # units it shows buyers whatever is sent now: on a channel that shows a new quantity late, the
    # larger of the quantity still showing and any taken but not yet showing, less its sales since
    committed: int = 0

    @property
    def window_seconds(self) -> float:
        """From a sale on this account until the others can know of it, and from a new quantity sent
        to it until buyers there see it."""
        return max(self.delay_seconds, 0.0) + max(self.visible_after_seconds, 0.0)

    @property
    def may_sell(self) -> int:
        """Units it may sell before the other channels show the sale: at least one (any account that
        lists the item can sell it while another does), more at its pace over its window (rounded up)."""
        by_pace = 0
        if self.window_seconds > 0 and self.units_per_day > 0:
            by_pace = math.ceil(self.units_per_day * self.window_seconds / 86400 - 1e-9)
        return max(1, by_pace)


@dataclass(frozen=True)
class Reserve:
    """Units held back from one listing for the other accounts that sell its item."""

    held: int = 0
    for_accounts: tuple[ChannelPace, ...] = ()  # the accounts it is held for


@dataclass(frozen=True)
class ListingQuantity:
    available: int
    quantity: int | None  # None: not sent (ignored)
    reason: str  # "12 available, shows 10: at most 10"
    reserve: Reserve = field(default_factory=Reserve)


def _keeps_first(pace: ChannelPace) -> tuple:
    """The order in which accounts take their share of low stock: units a slow channel shows whatever is
    sent, then accounts whose buyers see the item (or whose listing was never sent, so may show it),
    then the fastest seller, then the account added first."""
    sold_out = pace.showing is not None and pace.showing <= 0
    return (-pace.committed, sold_out, -pace.units_per_day, pace.account_id)


def reserve_shares(available: int, paces: Sequence[ChannelPace]) -> dict[int, int]:
    """account id -> units of ``available`` the account keeps when stock is low; {} when it is not.

    Stock is low when what the accounts may sell before the others show it adds up to more than is
    available. Then each account keeps at most what it may sell, in the order of ``_keeps_first``: the
    accounts on a slow channel that show units whatever is sent (``committed``), then those whose buyers
    see the item (units stay where they are rather than move while a sale is on its way), then the
    fastest seller (ties: the account added first). Units a slow channel still shows count as shown
    until its new quantity shows, so what buyers can see on all channels together never adds up to more
    than is available (unless it already did), and a unit moves to another channel only once the one it
    leaves has stopped showing it. An account with no share shows 0.
    """
    available = max(int(available), 0)
    if sum(p.may_sell for p in paces) <= available:
        return {}
    shares: dict[int, int] = {}
    left = available  # units not yet shared out
    spare = max(available - sum(p.committed for p in paces), 0)  # units no channel shows whatever is sent
    for pace in sorted(paces, key=_keeps_first):
        share = min(pace.may_sell, left, pace.committed + spare)
        spare -= max(share - pace.committed, 0)
        left -= share
        shares[pace.account_id] = share
    return shares


def reserve_for(account_id: int, available: int, paces: Sequence[ChannelPace]) -> Reserve:
    """What the listings of ``account_id`` hold back for the other accounts in ``paces``."""
    shares = reserve_shares(available, paces)
    if not shares:
        return Reserve()
    others = tuple(
        p
        for p in paces
        if p.account_id != account_id and (shares.get(p.account_id, 0) > 0 or p.committed > 0)
    )
    held = max(int(available), 0) - shares.get(account_id, 0)
    return Reserve(held=held, for_accounts=others) if held > 0 else Reserve()


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{round(seconds)} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h"


def _pace(units_per_day: float) -> str:
    if units_per_day >= 1:
        return f"{units_per_day:.0f} a day"
    return f"{units_per_day * 7:.1f} a week"


def _holder(pace: ChannelPace) -> str:
    text = f"{pace.account_name} (orders arrive up to {_duration(pace.delay_seconds)} late"
    if pace.visible_after_seconds > 0:
        text += f", shows a new quantity {_duration(pace.visible_after_seconds)} later"
    return text + f", sells {_pace(pace.units_per_day)})"


def reserve_sentence(reserve: Reserve) -> str:
    """'2 held for Shop B (orders arrive up to 2 min late, sells 3 a day)'."""
    others = "; ".join(_holder(p) for p in reserve.for_accounts)
    return f"{reserve.held} held for {others}" if others else f"{reserve.held} held for other channels"


def listing_quantity(available: int, rules: QuantityRules, reserve: Reserve | None = None) -> ListingQuantity:
    """The quantity a listing shows for ``available`` units under ``rules`` and ``reserve``, and why."""
    available = max(int(available), 0)
    reserve = reserve or Reserve()
    if rules.ignore:
        return ListingQuantity(available, None, f"{available} available, not sent: the listing is ignored")
    if rules.fixed_quantity is not None:
        fixed = max(rules.fixed_quantity, 0)
        return ListingQuantity(
            available, fixed, f"{available} available, shows {fixed}: fixed quantity {fixed}"
        )
    why: list[str] = []
    quantity = available
    held = 0
    if rules.min_level is not None and available <= rules.min_level and available > 0:
        quantity = 0
        why.append(f"at or below the minimum level {rules.min_level}")
    if quantity > 0 and reserve.held > 0:
        held = min(reserve.held, quantity)
        quantity -= held
        why.append(reserve_sentence(replace(reserve, held=held)))
    if quantity > 0 and rules.percentage is not None and rules.percentage < 100:
        shown = quantity * max(rules.percentage, 0) // 100
        if shown != quantity:
            why.append(f"{rules.percentage}% of {quantity}, rounded down")
        quantity = shown
    if rules.max_quantity is not None and quantity > max(rules.max_quantity, 0):
        quantity = max(rules.max_quantity, 0)
        why.append(f"at most {quantity}")
    text = f"{available} available, shows {quantity}" + (": " + "; ".join(why) if why else "")
    return ListingQuantity(
        available, quantity, text, Reserve(held, reserve.for_accounts) if held else Reserve()
    )
