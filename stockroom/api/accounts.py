"""/api/channels and /api/accounts: the registered channels as their specs declare them, and channel
accounts added, listed and configured through the same account services as the screens and the CLI
(administrators only; credentials are write-only: shown back masked)."""

from ninja import Query, Router, Schema

from stockroom.api.auth import administrator_auth
from stockroom.api.schemas import ErrorOut
from stockroom.channels import selectors, services
from stockroom.sync import accounts
from stockroom.sync.quantities import shown_fields

router = Router(tags=["accounts"], auth=administrator_auth)
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class AccountIn(Schema):
    channel: str
    name: str
    external_account_id: str
    region: str = ""
    marketplaces: list[str] = []
    credentials: dict[str, str] = {}
    options: dict = {}
    endpoint: str = ""
    token_url: str = ""


class OptionsIn(Schema):
    options: dict


class ListingFilters(Schema):
    search: str = ""
    after: str = ""  # the last channel SKU of the previous page
    limit: int = 100


class ListingRulesIn(Schema):
    channel_sku: str
    rules: dict  # max_quantity, min_level, percentage, fixed_quantity: a whole number, or null to clear


def _listing_rows(listings) -> list[dict]:
    fields = shown_fields(listings)
    return [
        {
            "channel_sku": listing.channel_sku,
            "sku": listing.stock_item.sku if listing.stock_item_id else None,
            "status": listing.status,
            "last_confirmed_quantity": listing.last_confirmed_quantity,
            "fulfilled_by_channel": listing.fulfilled_by_channel,
            "ignore_sync": listing.ignore_sync,
            **fields[listing.pk],
        }
        for listing in listings
    ]


def _summary(account) -> dict:
    summary = accounts.account_summary(account)
    return {**summary.as_dict(), "channel_name": summary.extra["channel_name"]}


@router.get(
    "/channels", response={200: list[dict], **ERRORS}, summary="Channels and what their accounts need"
)
def list_channels(request):
    return accounts.channel_descriptions()


@router.get("/accounts", response={200: list[dict], **ERRORS}, summary="Channel accounts (secrets masked)")
def list_accounts(request):
    return [_summary(account) for account in selectors.account_list()]


@router.post("/accounts", response={201: dict, **ERRORS}, summary="Add a channel account")
def add_account(request, body: AccountIn):
    saved = accounts.add_account(**body.model_dump())
    return 201, {**_summary(saved.account), "warnings": list(saved.warnings)}


@router.post(
    "/accounts/{account_id}/options", response={200: dict, **ERRORS}, summary="Set options of an account"
)
def set_options(request, account_id: int, body: OptionsIn):
    account = accounts.set_account_options(account=selectors.account_by_id(account_id), values=body.options)
    return _summary(account)


@router.get(
    "/accounts/{account_id}/listings",
    response={200: dict, **ERRORS},
    summary="An account's listings: what each shows and why (quantity rules, reserve)",
)
def list_listings(request, account_id: int, filters: Query[ListingFilters]):
    account = selectors.account_by_id(account_id)
    limit = min(max(filters.limit, 1), 500)
    listings = selectors.listing_list(account=account, search=filters.search)
    if filters.after:
        listings = listings.filter(channel_sku__gt=filters.after)
    page = list(listings[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "listings": _listing_rows(page),
        "next_after": page[-1].channel_sku if more else None,
    }


@router.post(
    "/accounts/{account_id}/listings/rules",
    response={200: dict, **ERRORS},
    summary="Set a listing's own quantity rules (null: the account's rule applies)",
)
def set_listing_rules(request, account_id: int, body: ListingRulesIn):
    account = selectors.account_by_id(account_id)
    listing = selectors.listing_by_sku(account, body.channel_sku)
    listing = services.set_listing_quantity_rules(listing=listing, values=body.rules)
    listing.account = account
    return _listing_rows([listing])[0]
