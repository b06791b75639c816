"""/api/channels and /api/accounts: the registered channels as their specs declare them, and channel
accounts added, listed and configured through the same account services as the screens and the CLI
(administrators only; credentials are write-only: shown back masked)."""

from ninja import Router, Schema

from stockroom.api.auth import administrator_auth
from stockroom.api.schemas import ErrorOut
from stockroom.channels import selectors
from stockroom.sync import accounts

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
