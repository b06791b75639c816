"""Inventory: stock items with their levels, item detail (levels, movements, chart), adjust,
receive, create/edit and CSV import with a preview."""

import base64
import hashlib
from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from stockroom.access.roles import is_administrator
from stockroom.catalog import imports
from stockroom.catalog.models import StockItem
from stockroom.catalog.services import create_stock_item, update_stock_item
from stockroom.core.errors import StockroomError
from stockroom.core.limits import max_length
from stockroom.inventory import selectors
from stockroom.inventory.models import Location
from stockroom.inventory.services import adjust_stock, receive_stock
from stockroom.orders.selectors import held_quantity_by_day
from stockroom.sync.quantities import item_listings
from stockroom.web.pagination import SortOption, paginate

SORTS = {
    "sku": SortOption("sku", "sku"),
    "title": SortOption("title", "title"),
    "on_hand": SortOption("on_hand", "on_hand", kind=int),
    "allocated": SortOption("allocated", "allocated", kind=int),
    "available": SortOption("available", "available", kind=int),
}
MOVEMENT_SORTS = {"at": SortOption("at", "created_at", kind=datetime)}
CHART_DAYS = 30
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_SESSION_KEY = "stockroom_item_import"


@login_required
def item_list(request):
    search = request.GET.get("q", "").strip()[:200]
    page = paginate(
        selectors.stock_item_list(search=search), params=request.GET, options=SORTS, default_sort="sku"
    )
    return render(request, "web/inventory/list.html", {"page": page, "sort": page.sort, "q": search})


class StockItemForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=max_length(StockItem, "sku"), strip=False)
    title = forms.CharField(max_length=max_length(StockItem, "title"))
    barcode = forms.CharField(max_length=max_length(StockItem, "barcode"), required=False)
    weight_grams = forms.IntegerField(label="Weight (g)", min_value=0, required=False)
    length_mm = forms.IntegerField(label="Length (mm)", min_value=0, required=False)
    width_mm = forms.IntegerField(label="Width (mm)", min_value=0, required=False)
    height_mm = forms.IntegerField(label="Height (mm)", min_value=0, required=False)


@login_required
def item_create(request):
    form = StockItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = create_stock_item(**form.cleaned_data)
        except StockroomError as error:
            form.add_error(None, f"{error.message}. Correct it and save again.")
        else:
            messages.success(
                request, f"Stock item {item.sku} created. Receive stock to give it an on-hand level."
            )
            return redirect("item_detail", item_id=item.pk)
    return render(request, "web/inventory/form.html", {"form": form, "item": None})


@login_required
def item_edit(request, item_id: int):
    item = get_object_or_404(StockItem, pk=item_id)
    initial = {f: getattr(item, f) for f in StockItemForm.base_fields}
    form = StockItemForm(request.POST or None, initial=initial)
    form.fields["sku"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "sku"}
        try:
            update_stock_item(item=item, **data)
        except StockroomError as error:
            form.add_error(None, f"{error.message}. Correct it and save again.")
        else:
            messages.success(request, f"Stock item {item.sku} saved.")
            return redirect("item_detail", item_id=item.pk)
    return render(request, "web/inventory/form.html", {"form": form, "item": item})


def stock_chart_data(item_id: int, days: int = CHART_DAYS, *, created_at=None) -> dict:
    """On hand from the ledger and available (on hand minus what orders held) per day; days that
    ended before the item was created have no value (None: the chart draws nothing, not a 0)."""
    on_hand = selectors.on_hand_by_day(item_id=item_id, days=days)
    held = held_quantity_by_day(item_id=item_id, days=days)
    existed = [created_at is None or end >= created_at for end, _ in on_hand]
    return {
        "labels": [end.date().isoformat() for end, _ in on_hand],
        "on_hand": [quantity if live else None for (_, quantity), live in zip(on_hand, existed, strict=True)],
        "available": [
            max(quantity - h, 0) if live else None
            for (_, quantity), h, live in zip(on_hand, held, existed, strict=True)
        ],
    }


@login_required
def item_detail(request, item_id: int):
    item = get_object_or_404(StockItem, pk=item_id)
    movements = paginate(
        selectors.movement_history(item.pk),
        params=request.GET,
        options=MOVEMENT_SORTS,
        default_sort="-at",
        per_page=25,
    )
    return render(
        request,
        "web/inventory/detail.html",
        {
            "item": item,
            "levels": list(selectors.stock_levels(item.pk)),
            "totals": selectors.stock_totals(item.pk),
            "page": movements,
            "sort": movements.sort,
            "locations": list(Location.objects.all()),
            "chart": stock_chart_data(item.pk, created_at=item.created_at),
            "listings": item_listings(item.pk) if is_administrator(request.user) else [],
        },
    )


def _location(request) -> Location | None:
    return selectors.location_by_id(request.POST.get("location", ""))


@login_required
@require_POST
def item_adjust(request, item_id: int):
    item = get_object_or_404(StockItem, pk=item_id)
    mode = request.POST.get("mode", "set")
    value = request.POST.get("quantity", "").strip()
    try:
        movement = adjust_stock(
            item=item,
            set_to=value if mode == "set" else None,
            delta=value if mode == "delta" else None,
            reason=request.POST.get("reason", ""),
            location=_location(request),
            user=request.user,
        )
    except StockroomError as error:
        messages.error(request, f"Stock not changed: {error.message}.")
    else:
        if movement is None:
            messages.info(request, f"{item.sku}: the level was already {value}; nothing changed.")
        else:
            messages.success(
                request,
                f"{item.sku} at {movement.location.name}: on hand is now {movement.on_hand_after} "
                f"({movement.quantity:+d}). Channels will be updated.",
            )
    return redirect("item_detail", item_id=item.pk)


@login_required
@require_POST
def item_receive(request, item_id: int):
    item = get_object_or_404(StockItem, pk=item_id)
    try:
        movement = receive_stock(
            item=item,
            quantity=request.POST.get("quantity", "").strip(),
            location=_location(request),
            reference=request.POST.get("reference", "").strip(),
            note=request.POST.get("note", "").strip(),
            user=request.user,
        )
    except StockroomError as error:
        messages.error(request, f"Nothing received: {error.message}.")
    else:
        messages.success(
            request,
            f"Received {movement.quantity} × {item.sku} at {movement.location.name}; on hand is now "
            f"{movement.on_hand_after}. Orders waiting for it will be allocated on the next sync.",
        )
    return redirect("item_detail", item_id=item.pk)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@login_required
def item_import(request):
    """Upload a CSV, see the preview (rows and per-row errors), then import exactly that file.

    The uploaded bytes wait in the session with their SHA-256; the confirm form carries the digest,
    so what is imported is byte for byte what was previewed."""
    if request.method == "POST" and request.POST.get("step") == "confirm":
        stored = request.session.get(IMPORT_SESSION_KEY) or {}
        if not stored or stored.get("digest") != request.POST.get("digest"):
            messages.error(
                request, "That preview has expired or was replaced by another upload. Upload the file again."
            )
            return redirect("inventory_import")
        data = base64.b64decode(stored["data"])
        if _digest(data) != stored["digest"]:
            messages.error(request, "The stored file is damaged. Upload it again.")
            return redirect("inventory_import")
        try:
            plan = imports.parse_items_csv(data)
            count = imports.import_items(plan, user=request.user)
        except StockroomError as error:
            messages.error(request, f"Nothing imported: {error.message}.")
            return redirect("inventory_import")
        del request.session[IMPORT_SESSION_KEY]
        messages.success(
            request, f"Imported {count} stock item{'s' if count != 1 else ''} from {stored['name']}."
        )
        return redirect("inventory")

    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a CSV file to upload.")
            return redirect("inventory_import")
        if upload.size > IMPORT_MAX_BYTES:
            messages.error(request, f"{upload.name} is larger than 2 MB; split it into smaller files.")
            return redirect("inventory_import")
        data = upload.read()
        try:
            plan = imports.parse_items_csv(data)
        except StockroomError as error:
            messages.error(request, f"{upload.name} cannot be read: {error.message}.")
            return redirect("inventory_import")
        digest = _digest(data)
        request.session[IMPORT_SESSION_KEY] = {
            "name": upload.name[:200],
            "digest": digest,
            "data": base64.b64encode(data).decode(),
        }
        return render(
            request,
            "web/inventory/import_preview.html",
            {"plan": plan, "digest": digest, "name": upload.name, "rows": plan.rows[:500]},
        )
    return render(request, "web/inventory/import.html", {})
