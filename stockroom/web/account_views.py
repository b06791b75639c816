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
from stockroom.channels.spec import OptionKind
from stockroom.core.errors import NotFound, StockroomError
from stockroom.core.quantities import parse_id
from stockroom.orders import selectors as order_selectors
from stockroom.orders.models import ShippingMethod
from stockroom.sync import accounts, consent
from stockroom.sync import selectors as sync_selectors
from stockroom.sync import tasks as sync_tasks
from stockroom.sync.models import SyncRunStatus
from stockroom.sync.quantities import shown_fields
from stockroom.web.pagination import SortOption, paginate
from stockroom.web.permissions import administrator_required

LISTING_SORTS = {
    "channel_sku": SortOption("channel_sku", "channel_sku"),
    "status": SortOption("status", "status"),
}
ACCOUNT_FIELDS = ("name", "external_account_id", "region", "marketplaces", "endpoint", "token_url")


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


def _spec(channel: str):
    try:
        return accounts.spec_of(channel)
    except StockroomError as error:
        raise Http404(error.message) from None


def _form_values(request, spec, account=None) -> dict:
    if request.method == "POST":
        values = {field: request.POST.get(field, "") for field in ACCOUNT_FIELDS}
        values["marketplaces"] = ",".join(request.POST.getlist("marketplaces"))
        values["credentials"] = {f.key: request.POST.get(f.key, "") for f in spec.credentials if not f.secret}
        return values
    if account is None:
        return {
            "name": "",
            "external_account_id": "",
            "region": spec.addressing.default_region,
            "marketplaces": "",
            "endpoint": "",
            "token_url": "",
            "credentials": {},
        }
    return {
        "name": account.name,
        "external_account_id": account.external_account_id,
        "region": account.region,
        "marketplaces": ",".join(accounts.marketplace_codes(account)),
        "endpoint": account.endpoint,
        "token_url": account.token_url,
        "credentials": {f.key: account.credentials.get(f.key, "") for f in spec.credentials if not f.secret},
    }


def _with_article(name: str) -> str:
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _form_context(values, *, spec, account=None, error="") -> dict:
    chosen = {code.strip().upper() for code in values["marketplaces"].split(",") if code.strip()}
    masked = accounts.masked_credentials(account) if account else {}
    return {
        "values": values,
        "account": account,
        "error": error,
        "spec": spec,
        "addressing": spec.addressing,
        "title": f"Edit {account.name}" if account else f"Add {_with_article(spec.display_name)} account",
        "channels": accounts.channel_choices(),
        "regions": {r.code: r.name for r in spec.addressing.regions},
        "marketplaces": [
            {"code": code, "country": country, "region": region, "checked": code.upper() in chosen}
            for code, country, region in accounts.marketplace_choices(spec.key)
        ],
        "credential_fields": [
            {
                "field": f,
                "stored": masked.get(f.key, ""),
                "value": "" if f.secret else values.get("credentials", {}).get(f.key, ""),
            }
            for f in spec.credentials
        ],
    }


def _credentials_posted(request, spec) -> dict:
    return {f.key: request.POST.get(f.key, "") for f in spec.credentials}


# --- accounts -----------------------------------------------------------------------------------------


@administrator_required
def account_list(request):
    summaries = [accounts.account_summary(account) for account in selectors.account_list()]
    add_links = [
        (f"{reverse('account_add')}?{urlencode({'channel': key})}", f"Add {_with_article(name)} account")
        for key, name in accounts.channel_choices()
    ]
    return render(request, "web/accounts/list.html", {"summaries": summaries, "add_links": add_links})


@administrator_required
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def account_add(request):
    channels = accounts.channel_choices()
    channel = (
        request.POST.get("channel") or request.GET.get("channel") or (channels[0][0] if channels else "")
    )
    spec = _spec(channel)
    values = _form_values(request, spec)
    if request.method == "POST":
        try:
            saved = accounts.add_account(
                channel=spec.key,
                name=values["name"],
                external_account_id=values["external_account_id"],
                region=values["region"],
                marketplaces=values["marketplaces"],
                credentials=_credentials_posted(request, spec),
                endpoint=values["endpoint"],
                token_url=values["token_url"],
            )
        except StockroomError as error:
            context = _form_context(values, spec=spec, error=error.message)
            return render(request, "web/accounts/form.html", context, status=400)
        for warning in saved.warnings:
            messages.warning(request, warning)
        next_step = (
            f"Connect to {spec.display_name} to give Stockroom access"
            if consent.uses_consent(spec) and not saved.account.credentials.get("refresh_token")
            else "Check API to test the credentials"
        )
        messages.success(request, f"Account {saved.account.name} added. Next: {next_step}.")
        return redirect("account_detail", account_id=saved.account.pk)
    return render(request, "web/accounts/form.html", _form_context(values, spec=spec))


@administrator_required
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def account_edit(request, account_id: int):
    account = _account(account_id)
    spec = _spec(account.channel)
    values = _form_values(request, spec, account)
    values["name"] = account.name  # fixed once created
    if request.method == "POST":
        try:
            saved = accounts.edit_account(
                account=account,
                external_account_id=values["external_account_id"],
                region=values["region"],
                marketplaces=values["marketplaces"],
                credentials=_credentials_posted(request, spec),
                endpoint=values["endpoint"],
                token_url=values["token_url"],
            )
        except StockroomError as error:
            context = _form_context(values, spec=spec, account=account, error=error.message)
            return render(request, "web/accounts/form.html", context, status=400)
        for warning in saved.warnings:
            messages.warning(request, warning)
        messages.success(request, f"Account {account.name} saved.")
        return redirect("account_detail", account_id=account.pk)
    return render(request, "web/accounts/form.html", _form_context(values, spec=spec, account=account))


@administrator_required
def account_detail(request, account_id: int):
    account = _account(account_id)
    return render(request, "web/accounts/detail.html", _detail_context(account))


def _option_fields(spec, options: dict) -> list[dict]:
    """Each option of the channel as the form shows it, with its current (or just posted) value."""
    fields = []
    for option in spec.all_options:
        value = options.get(option.key, option.default)
        hidden = False
        if option.shown_when:
            key, shown = option.shown_when
            hidden = str(options.get(key, "")) not in shown
        fields.append(
            {
                "option": option,
                "value": "" if value is None else value,
                "checked": value is True or value == "on",
                "hidden": hidden,
                "shown_values": " ".join(option.shown_when[1]) if option.shown_when else "",
            }
        )
    return fields


def _detail_context(account, **extra) -> dict:
    spec = _spec(account.channel)
    options = extra.pop("options", None) or accounts.effective_options(account)
    return {
        "account": account,
        "spec": spec,
        "addressing": spec.addressing,
        "shipping_spec": spec.shipping,
        "summary": accounts.account_summary(account),
        "credential_rows": accounts.credential_rows(account),
        "options": options,
        "option_fields": _option_fields(spec, options),
        "mappings": selectors.shipping_mappings(account),
        "carrier_codes": accounts.carrier_codes(account.channel),
        "shipping_methods": ShippingMethod.objects.order_by("name"),
        "service_defaults": selectors.shipping_defaults(account),
        "buyer_services": order_selectors.buyer_services(account.pk),
        "release_warning": accounts.release_warning(account),
        "uses_consent": consent.uses_consent(spec),
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
    spec = _spec(account.channel)
    values = {
        option.key: request.POST.get(option.key, "off" if option.kind == OptionKind.BOOL else "")
        for option in spec.all_options
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
        messages.warning(request, accounts.release_warning(account))
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
    shown = shown_fields(page.rows)
    for listing in page.rows:
        listing.shown = shown[listing.pk]
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
@require_POST
def listing_rules(request, account_id: int, listing_id: int):
    account = _account(account_id)
    listing = _listing(account, listing_id)
    values = {key: request.POST.get(key, "") for key in services.LISTING_RULES}
    try:
        listing = services.set_listing_quantity_rules(listing=listing, values=values)
    except StockroomError as error:
        messages.error(request, f"{listing.channel_sku}: rules not changed: {error.message}.")
    else:
        listing.account = account
        why = shown_fields([listing])[listing.pk]["why"]
        messages.success(request, f"{listing.channel_sku}: rules saved. {why}." if why else "Rules saved.")
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


# --- connecting an account through its channel's consent page (any channel whose spec asks for it) ---------


def _consent_return_url(request) -> str:
    return request.build_absolute_uri(reverse("account_consent_return"))


@administrator_required
@require_http_methods(["GET"])
def account_consent_start(request, account_id: int):
    """A link, not a form: the page's Content-Security-Policy (form-action 'self') would stop a form's
    redirect to the channel's site. Nothing changes here; the signed state is made anew each time."""
    account = _account(account_id)
    try:
        started = consent.start_consent(account=account, redirect_uri=_consent_return_url(request))
    except StockroomError as error:
        messages.error(request, error.message)
        return redirect("account_detail", account_id=account.pk)
    return redirect(started.url)


def _finish_consent(request, *, state: str, code: str, error: str, account=None):
    try:
        connected = consent.finish_consent(
            state=state, code=code, error=error, redirect_uri=_consent_return_url(request)
        )
    except StockroomError as failure:
        messages.error(request, failure.message)
        if account is None:
            return redirect("accounts")
        return redirect("account_detail", account_id=account.pk)
    messages.success(request, f"{connected.name} is connected. Next: Check API.")
    return redirect("account_detail", account_id=connected.pk)


@administrator_required
@require_http_methods(["GET"])
def account_consent_return(request):
    """Where the channel sends the browser back after the consent (``code`` and ``state``, or ``error``)."""
    account = None
    try:
        account = consent.account_of_state(request.GET.get("state", ""))
    except StockroomError:
        pass
    return _finish_consent(
        request,
        state=request.GET.get("state", ""),
        code=request.GET.get("code", ""),
        error=request.GET.get("error", ""),
        account=account,
    )


@administrator_required
@sensitive_post_parameters()
@require_POST
def account_consent_code(request, account_id: int):
    """The code pasted by a seller whose browser could not come back to Stockroom."""
    account = _account(account_id)
    return _finish_consent(
        request,
        state=consent.consent_state(account),
        code=request.POST.get("code", ""),
        error="",
        account=account,
    )


urlpatterns = [
    path("consent/return/", account_consent_return, name="account_consent_return"),
    path("<int:account_id>/consent/", account_consent_start, name="account_consent_start"),
    path("<int:account_id>/consent/code/", account_consent_code, name="account_consent_code"),
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
    path("<int:account_id>/listings/<int:listing_id>/rules/", listing_rules, name="listing_rules"),
    path("<int:account_id>/listings/<int:listing_id>/log/", listing_log, name="listing_log"),
]
