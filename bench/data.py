"""Data the scenarios build for themselves: catalogue, stock, accounts and listings, all through bulk paths.

Stockroom rows go in with ``bulk_create`` (the order book of a million orders with COPY on PostgreSQL,
see ``scenarios.orderbook``); simulator orders through its bulk order endpoint.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bench.stats import median

MARKETPLACE_UK = "A1F83G8C2ARO7P"
BULK = 5000


def make_items(count: int, *, on_hand: int, prefix: str = "BENCH") -> list[int]:
    """``count`` stock items with ``on_hand`` units each at the default location (one opening movement
    per item, so on hand matches the ledger). Returns their ids in SKU order."""
    from stockroom.catalog.models import StockItem
    from stockroom.inventory.locks import default_location
    from stockroom.inventory.models import MovementReason, StockLevel, StockMovement

    location = default_location()
    skus = [f"{prefix}-{n:06d}" for n in range(count)]
    StockItem.objects.bulk_create([StockItem(sku=s, title=f"Bench item {s}") for s in skus], batch_size=BULK)
    ids = list(StockItem.objects.filter(sku__in=skus).order_by("sku").values_list("pk", flat=True))
    if on_hand:
        StockLevel.objects.bulk_create(
            [StockLevel(item_id=i, location=location, on_hand=on_hand) for i in ids], batch_size=BULK
        )
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    item_id=i,
                    location=location,
                    quantity=on_hand,
                    on_hand_after=on_hand,
                    reason=MovementReason.ADJUSTMENT,
                    reference="bench opening stock",
                )
                for i in ids
            ],
            batch_size=BULK,
        )
    return ids


def make_account(name: str, *, seller_id: str, endpoint: str = "", token_url: str = "", **options):
    from stockroom.channels.models import ChannelAccount

    return ChannelAccount.objects.create(
        channel="amazon",
        name=name,
        external_account_id=seller_id,
        region="eu",
        marketplaces=[MARKETPLACE_UK],
        endpoint=endpoint,
        token_url=token_url,
        options=options,
        credentials={
            "client_id": f"amzn1.application-oa2-client.{seller_id.lower()}",
            "client_secret": f"secret-{seller_id.lower()}",
            "refresh_token": f"Atzr|refresh-{seller_id.lower()}",
        },
    )


def link_listings(account, item_ids: list[int], skus: list[str], **fields) -> None:
    from stockroom.channels.models import Listing

    Listing.objects.bulk_create(
        [
            Listing(account=account, channel_sku=sku, stock_item_id=item_id, **fields)
            for item_id, sku in zip(item_ids, skus, strict=True)
        ],
        batch_size=BULK,
    )


def order_specs(rng: random.Random, skus: list[str], count: int, **extra) -> list[dict]:
    """Simulator order specs of 1-3 lines (distinct SKUs), quantity 1-2 each."""
    specs = []
    for _ in range(count):
        chosen = rng.sample(skus, rng.randint(1, 3))
        specs.append(
            {
                "marketplace_id": MARKETPLACE_UK,
                "items": [{"sku": s, "quantity": rng.randint(1, 2)} for s in chosen],
                **extra,
            }
        )
    return specs


def now_utc() -> datetime:
    return datetime.now(UTC)


def metric(name: str, runs: list, unit: str, *, target: str = "", ok=None, value=None) -> dict:
    """One row of the result table: the median of ``runs`` unless ``value`` is given."""
    shown = value if value is not None else median(runs)
    return {
        "name": name,
        "value": round(shown, 4) if isinstance(shown, float) else shown,
        "unit": unit,
        "runs": [round(r, 4) if isinstance(r, float) else r for r in runs],
        "target": target,
        "ok": ok,
    }
