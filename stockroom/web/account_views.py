"""Channel accounts and their listed products (administrators only).

Each view parses the form, calls one operation of ``stockroom.sync.accounts`` or
``stockroom.channels.services`` (reads through ``stockroom.channels.selectors``), and renders.
Secrets are never put into a page: forms show them masked and leave the fields empty.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from stockroom.catalog.selectors import stock_item_by_sku
from stockroom.channels import selectors, services
from stockroom.channels.models import ListingStatus
from stockroom.core.errors import NotFound, StockroomError
from stockroom.core.quantities import parse_id
from stockroom.orders import selectors as order_selectors
from stockroom.orders.models import ShippingMethod
from stockroom.sync import accounts
from stockroom.sync import selectors as sync_selectors
from stockroom.sync import tasks as sync_tasks
from stockroom.sync.models import SyncRunStatus
from stockroom.web.pagination import SortOption, paginate
from stockroom.web.permissions import administrator_required

LISTING_SORTS = {
    "channel_sku": SortOption("channel_sku", "channel_sku"),
    "status": SortOption("status", "status"),
}
ACCOUNT_FIELDS = ("name", "seller_id", "region", "marketplaces", "endpoint", "token_url")


def _account(account_id):
    try:
        return selectors.account_by_id(account_id)
    except NotFound as error:
        raise Http404(error.message) from None


def _listing(account, listing_id):
    try:
        return selectors.listing_by_id(account, listing_id)
    except NotFound as error:
        raise Http404(error.message) from None


def _form_values(request, account=None) -> dict:
    if request.method == "POST":
        values = {field: request.POST.get(field, "") for field in ACCOUNT_FIELDS}
        values["marketplaces"] = ",".join(request.POST.getlist("marketplaces"))
        return values
    if account is None:
        return {
            "name": "",
            "seller_id": "",
            "region": "eu",
            "marketplaces": "",
            "endpoint": "",
            "token_url": "",
        }
    return {
        "name": account.name,
        "seller_id": account.external_account_id,
        "region": account.region,
        "marketplaces": ",".join(accounts.marketplace_codes(account)),
        "endpoint": account.endpoint,
        "token_url": account.token_url,
    }


def _form_context(values, *, account=None, error="") -> dict:
    chosen = {code.strip().upper() for code in values["marketplaces"].split(",") if code.strip()}
    return {
        "values": values,
        "account": account,
        "error": error,
        "regions": accounts.REGIONS,
        "marketplaces": [
            {"code": code, "country": country, "region": region, "checked": code in chosen}
            for code, country, region in accounts.marketplace_choices()
        ],
        "masked": accounts.masked_credentials(account) if account else {},
        "credential_fields": accounts.CREDENTIAL_FIELDS,
    }


# --- accounts -----------------------------------------------------------------------------------------


@administrator_required
def account_list(request):
    summaries = [accounts.account_summary(account) for account in selectors.account_list()]
    return render(request, "web/accounts/list.html", {"summaries": summaries})


@administrator_required
@sensitive_post_parameters("client_id", "client_secret", "refresh_token")
@require_http_methods(["GET", "POST"])
def account_add(request):
    values = _form_values(request)
    if request.method == "POST":
        try:
            saved = accounts.add_amazon_account(
                name=values["name"],
                seller_id=values["seller_id"],
                region=values["region"],
                marketplaces=values["marketplaces"],
                client_id=request.POST.get("client_id", ""),
                client_secret=request.POST.get("client_secret", ""),
                refresh_token=request.POST.get("refresh_token", ""),
                endpoint=values["endpoint"],
                token_url=values["token_url"],
            )
        except StockroomError as error:
            context = _form_context(values, error=error.message)
            return render(request, "web/accounts/form.html", context, status=400)
        for warning in saved.warnings:
            messages.warning(request, warning)
        messages.success(
            request, f"Account {saved.account.name} added. Next: Check API to test the credentials."
        )
        return redirect("account_detail", account_id=saved.account.pk)
    return render(request, "web/accounts/form.html", _form_context(values))


@administrator_required
@sensitive_post_parameters("client_id", "client_secret", "refresh_token")
@require_http_methods(["GET", "POST"])
def account_edit(request, account_id: int):
    account = _account(account_id)
    values = _form_values(request, account)
    values["name"] = account.name  # fixed once created
    if request.method == "POST":
        try:
            saved = accounts.edit_amazon_account(
                account=account,
                seller_id=values["seller_id"],
                region=values["region"],
                marketplaces=values["marketplaces"],
                client_id=request.POST.get("client_id", ""),
                client_secret=request.POST.get("client_secret", ""),
                refresh_token=request.POST.get("refresh_token", ""),
                endpoint=values["endpoint"],
                token_url=values["token_url"],
            )
        except StockroomError as error:
            context = _form_context(values, account=account, error=error.message)
            return render(request, "web/accounts/form.html", context, status=400)
        for warning in saved.warnings:
            messages.warning(request, warning)
        messages.success(request, f"Account {account.name} saved.")
        return redirect("account_detail", account_id=account.pk)
    return render(request, "web/accounts/form.html", _form_context(values, account=account))


@administrator_required
def account_detail(request, account_id: int):
    account = _account(account_id)
    return render(request, "web/accounts/detail.html", _detail_context(account))


def _detail_context(account, **extra) -> dict:
    return {
        "account": account,
        "summary": accounts.account_summary(account),
        "credential_rows": [
            (label, accounts.masked_credentials(account)[key])
            for key, label in accounts.CREDENTIAL_FIELDS.items()
        ],
        "options": accounts.effective_options(account),
        "option_help": accounts.OPTION_HELP,
        "order_sources": accounts.ORDER_SOURCES,
        "report_periods": list(accounts.REPORT_PERIODS.values()),
        "mappings": selectors.shipping_mappings(account),
        "carrier_codes": accounts.carrier_codes(account.channel),
        "shipping_methods": ShippingMethod.objects.order_by("name"),
        "service_defaults": selectors.shipping_defaults(account),
        "buyer_services": order_selectors.buyer_services(account.pk),
        "release_warning": accounts.RELEASE_WARNING,
        **extra,
    }


@administrator_required
@require_POST
def account_toggle(request, account_id: int):
    account = _account(account_id)
    account = services.set_account_enabled(account=account, enabled=not account.enabled)
    if request.htmx:
        return render(request, "web/accounts/_light.html", {"account": account})
    messages.success(request, f"{account.name} {'enabled' if account.enabled else 'disabled'}.")
    return redirect("accounts")


@administrator_required
@require_POST
def account_check(request, account_id: int):
    account = _account(account_id)
    result = accounts.check_account(account)
    if request.htmx:
        return render(request, "web/accounts/_check.html", {"account": account, "result": result})
    (messages.success if result.ok else messages.error)(request, f"Check API: {result.message}")
    return redirect("account_detail", account_id=account.pk)


@administrator_required
@require_POST
def account_options(request, account_id: int):
    account = _account(account_id)
    values = {
        "inventory_update": request.POST.get("inventory_update", "off"),
        "order_source": request.POST.get("order_source", ""),
        "report_period": request.POST.get("report_period", ""),
        "secondary_integrated": request.POST.get("secondary_integrated", "off"),
        "hold_shipping_data": request.POST.get("hold_shipping_data", "off"),
        "download_orders_since": request.POST.get("download_orders_since", ""),
        "patch_threshold": request.POST.get("patch_threshold", ""),
    }
    try:
        accounts.set_account_options(account=account, values=values)
    except StockroomError as error:
        context = _detail_context(account, options_error=error.message, options={**values})
        return render(request, "web/accounts/detail.html", context, status=400)
    messages.success(request, "Options saved.")
    return redirect("account_detail", account_id=account.pk)


@administrator_required
@require_POST
def account_shipping(request, account_id: int):
    account = _account(account_id)
    values = {
        key: request.POST.get(key, "")
        for key in ("shipping_method", "carrier_code", "carrier_name", "ship_method")
    }
    if request.POST.get("action") == "delete":
        try:
            services.delete_shipping_mapping(account=account, shipping_method=values["shipping_method"])
        except StockroomError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Mapping of {values['shipping_method']} removed.")
        return redirect(reverse("account_detail", args=[account.pk]) + "#shipping")
    try:
        mapping = accounts.map_shipping_method(account=account, **values)
    except StockroomError as error:
        context = _detail_context(account, shipping_error=error.message, shipping_values=values)
        return render(request, "web/accounts/detail.html", context, status=400)
    messages.success(
        request, f"{mapping.shipping_method} is sent as {mapping.carrier_code}, {mapping.ship_method}."
    )
    return redirect(reverse("account_detail", args=[account.pk]) + "#shipping")


@administrator_required
@require_POST
def account_shipping_default(request, account_id: int):
    """Set or remove the default shipping method of a buyer's service for this account."""
    account = _account(account_id)
    values = {key: request.POST.get(key, "") for key in ("channel_service", "shipping_method")}
    back = reverse("account_detail", args=[account.pk]) + "#service-defaults"
    if request.POST.get("action") == "delete":
        try:
            services.delete_shipping_default(account=account, channel_service=values["channel_service"])
        except StockroomError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Default for {values['channel_service']} removed.")
        return redirect(back)
    try:
        default = services.set_shipping_default(account=account, **values)
    except StockroomError as error:
        context = _detail_context(account, default_error=error.message, default_values=values)
        return render(request, "web/accounts/detail.html", context, status=400)
    messages.success(
        request,
        f"Orders whose buyer chose {default.channel_service} are processed with {default.shipping_method} "
        "unless another method is picked.",
    )
    return redirect(back)


@administrator_required
@require_POST
def account_release_held(request, account_id: int):
    account = _account(account_id)
    released = accounts.release_held(account=account, user=request.user)
    if released:
        messages.warning(request, accounts.RELEASE_WARNING)
        messages.success(
            request,
            f"{released} held shipping confirmation(s) released; the next sync sends each once "
            "(later dispatches stay held).",
        )
    else:
        messages.info(request, "No held shipping confirmations to release.")
    return redirect("account_detail", account_id=account.pk)


# --- listings -----------------------------------------------------------------------------------------


def _listings_page(request, account):
    linked = {"yes": True, "no": False}.get(request.GET.get("linked", ""))
    status = request.GET.get("status", "")
    overview = account is None
    accounts_shown = list(selectors.account_list()) if overview else []
    chosen = request.GET.get("account", "")
    if overview and chosen:
        account = next((a for a in accounts_shown if str(a.pk) == chosen), None)
        if account is None:
            raise Http404(f"channel account {chosen[:20]} does not exist")
    listings = selectors.listing_list(
        account=account,
        search=request.GET.get("q", ""),
        status=status if status in ListingStatus.values else "",
        linked=linked,
    )
    page = paginate(listings, params=request.GET, options=LISTING_SORTS, default_sort="channel_sku")
    run = None
    if not overview:
        run = sync_selectors.listings_import_run(
            account, request.GET.get("import")
        ) or sync_selectors.running_listings_import(account)
    return render(
        request,
        "web/accounts/listings.html",
        {
            **(_import_context(account, run) if run else {}),
            "account": None if overview else account,
            "overview": overview,
            "accounts": accounts_shown,
            "chosen_account": chosen,
            "page": page,
            "sort": page.sort,
            "statuses": ListingStatus.choices,
            "q": request.GET.get("q", ""),
            "status": status,
            "linked": request.GET.get("linked", ""),
        },
    )


@administrator_required
def listing_list(request, account_id: int):
    return _listings_page(request, _account(account_id))


@administrator_required
def listing_overview(request):
    """Every account's listings on one page: e.g. all those whose last stock update failed."""
    return _listings_page(request, None)


def _back_to_listings(request, account):
    back = request.POST.get("next", "")
    if back.startswith((reverse("listings", args=[account.pk]), reverse("listing_overview"))):
        return redirect(back)
    return redirect("listings", account_id=account.pk)


@administrator_required
@require_POST
def listing_link(request, account_id: int):
    account = _account(account_id)
    channel_sku = request.POST.get("channel_sku", "")
    sku = request.POST.get("sku", "").strip()
    try:
        item = stock_item_by_sku(sku) if sku else None
        outcome = services.link_listing(account=account, channel_sku=channel_sku, stock_item=item)
    except StockroomError as error:
        messages.error(
            request, f"{channel_sku}: {error.message}. Type an existing SKU, or leave it empty to unlink."
        )
        return _back_to_listings(request, account)
    if item is None:
        messages.success(request, f"{outcome.listing.channel_sku} unlinked.")
    else:
        note = f" ({outcome.orders_relinked} open order(s) now allocate)" if outcome.orders_relinked else ""
        messages.success(request, f"{outcome.listing.channel_sku} linked to {item.sku}{note}.")
    return _back_to_listings(request, account)


@administrator_required
@require_POST
def listing_ignore(request, account_id: int, listing_id: int):
    account = _account(account_id)
    listing = _listing(account, listing_id)
    listing = services.set_listing_ignore_sync(listing=listing, ignore=request.POST.get("ignore") == "on")
    if request.htmx:
        return render(request, "web/accounts/_ignore.html", {"account": account, "listing": listing})
    return _back_to_listings(request, account)


@administrator_required
def listing_log(request, account_id: int, listing_id: int):
    account = _account(account_id)
    listing = _listing(account, listing_id)
    show = request.GET.get("show") != "0"
    context = {
        "account": account,
        "listing": listing,
        "show": show,
        "entries": selectors.listing_log(listing) if show else [],
    }
    return render(request, "web/accounts/_listing_log.html", context)


@administrator_required
@require_http_methods(["GET", "POST"])
def listings_link_all(request, account_id: int):
    account = _account(account_id)
    if request.method == "POST":
        ids = [parse_id(value) for value in request.POST.get("listings", "").split(",") if parse_id(value)]
        result = services.link_identical_skus(account=account, listing_ids=ids)
        messages.success(
            request,
            f"Linked {len(result.linked)} listing(s) by identical SKU"
            + (f"; {result.orders_relinked} open order(s) now allocate" if result.orders_relinked else "")
            + ".",
        )
        if result.skipped:
            messages.warning(
                request, "Not linked (changed since the preview): " + ", ".join(result.skipped[:50])
            )
        return redirect("listings", account_id=account.pk)
    preview = selectors.identical_sku_matches(account)
    listing_ids = ",".join(str(m.listing_id) for m in preview.matches)
    return render(
        request,
        "web/accounts/link_all.html",
        {"account": account, "preview": preview, "listing_ids": listing_ids},
    )


@administrator_required
@require_POST
def listings_import(request, account_id: int):
    """Queue the import (a large catalogue takes minutes at the channel's rate) and follow it on the
    account's listings page."""
    account = _account(account_id)
    run, started = sync_tasks.start_listings_import(account)
    if not started:
        messages.info(
            request, "An import of this account's listings is already running: its progress is below."
        )
    return redirect(f"{reverse('listings', args=[account.pk])}?{urlencode({'import': run.pk})}")


@administrator_required
def listings_import_status(request, account_id: int, run_id: int):
    account = _account(account_id)
    run = sync_selectors.listings_import_run(account, run_id)
    if run is None:
        raise Http404(f"no listings import {run_id} on account {account.name}")
    return render(request, "web/accounts/_import_status.html", _import_context(account, run))


def _import_context(account, run) -> dict:
    finished = run is not None and run.status != SyncRunStatus.RUNNING
    return {
        "account": account,
        "import_run": run,
        "suggested": len(selectors.identical_sku_matches(account).matches) if finished else 0,
    }


urlpatterns = [
    path("", account_list, name="accounts"),
    path("add/", account_add, name="account_add"),
    path("<int:account_id>/", account_detail, name="account_detail"),
    path("<int:account_id>/edit/", account_edit, name="account_edit"),
    path("<int:account_id>/toggle/", account_toggle, name="account_toggle"),
    path("<int:account_id>/check/", account_check, name="account_check"),
    path("<int:account_id>/options/", account_options, name="account_options"),
    path("<int:account_id>/shipping/", account_shipping, name="account_shipping"),
    path("<int:account_id>/shipping/defaults/", account_shipping_default, name="account_shipping_default"),
    path("<int:account_id>/release-held/", account_release_held, name="account_release_held"),
    path("<int:account_id>/listings/", listing_list, name="listings"),
    path("<int:account_id>/listings/link/", listing_link, name="listing_link"),
    path("<int:account_id>/listings/link-all/", listings_link_all, name="listings_link_all"),
    path("<int:account_id>/listings/import/", listings_import, name="listings_import"),
    path(
        "<int:account_id>/listings/import/<int:run_id>/",
        listings_import_status,
        name="listings_import_status",
    ),
    path("<int:account_id>/listings/<int:listing_id>/ignore/", listing_ignore, name="listing_ignore"),
    path("<int:account_id>/listings/<int:listing_id>/log/", listing_log, name="listing_log"),
]
