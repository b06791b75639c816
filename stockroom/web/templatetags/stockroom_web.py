"""Template helpers: roles, sortable column headers, query strings that keep the current filters,
and the one way every screen shows a date and time (``|when``)."""

from datetime import UTC, date, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_duration
from django.utils.html import format_html
from django.utils.http import urlencode

from stockroom.web.permissions import is_administrator as _is_administrator
from stockroom.web.permissions import role_of

register = template.Library()


@register.filter
def is_administrator(user) -> bool:
    """``{% if user|is_administrator %}`` hides links administrators alone may follow."""
    return _is_administrator(user)


@register.filter
def role(user) -> str:
    return role_of(user)


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with ``changes`` applied (a value of None removes the key).

    Cursor parameters are always dropped: a new sort or filter starts from the first page.
    """
    params = context["request"].GET.copy()
    for key in ("after", "before"):
        params.pop(key, None)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.inclusion_tag("web/includes/sort_header.html", takes_context=True)
def sort_header(context, key: str, label: str):
    """A column header link that sorts by ``key``; clicking again reverses the direction."""
    current = context.get("sort", "")
    active = current.lstrip("-") == key
    descending = current.startswith("-")
    new = (key if descending else f"-{key}") if active else key
    params = context["request"].GET.copy()
    for name in ("after", "before"):
        params.pop(name, None)
    params["sort"] = new
    return {
        "href": "?" + urlencode(sorted(params.items())),
        "label": label,
        "active": active,
        "aria_sort": ("descending" if descending else "ascending") if active else "none",
        "arrow": ("▼" if descending else "▲") if active else "",
    }


@register.filter
def times(value, factor):
    """``{{ line.unit_price|times:line.quantity }}``: Decimal times an integer, for line totals."""
    try:
        return value * factor
    except TypeError:
        return ""


# The one date and time format of the web interface, in the user's zone ("5 Dec 2026 14:07").
DATETIME_FORMAT = "j M Y H:i"
DATE_FORMAT = "j M Y"


@register.filter
def when(value):
    """A time as ``<time>`` in the user's zone (see UserTimezoneMiddleware), UTC on hover.

    ``{{ order.purchased_at|when }}`` -> ``<time datetime="2026-12-05T13:04:07Z"
    title="2026-12-05 13:04:07 UTC">5 Dec 2026 13:04</time>``; a date alone -> "5 Dec 2026";
    None -> an em dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        moment = value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
        utc = moment.astimezone(UTC)
        return format_html(
            '<time datetime="{}" title="{} UTC">{}</time>',
            utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            utc.strftime("%Y-%m-%d %H:%M:%S"),
            date_format(timezone.localtime(moment), DATETIME_FORMAT),
        )
    if isinstance(value, date):
        return format_html(
            '<time datetime="{}">{}</time>', value.isoformat(), date_format(value, DATE_FORMAT)
        )
    return value


@register.filter
def took(start, end):
    """How long from ``start`` to ``end``, in words a seller reads at a glance: "0.4 s", "12 s",
    "3 min 5 s", "2 h 4 min"; "" when either is missing."""
    if not start or not end:
        return ""
    seconds = max((end - start).total_seconds(), 0.0)
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"))


@register.filter
def period_words(value) -> str:
    """An ISO 8601 period in words: "PT1H" -> "every hour", "PT15M" -> "every 15 minutes",
    "P1D" -> "every day"; anything unreadable is shown as it is."""
    period = value if isinstance(value, timedelta) else parse_duration(str(value or "").upper())
    if not period or period.total_seconds() <= 0:
        return str(value or "")
    seconds = int(period.total_seconds())
    for size, unit in _UNITS:
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds} seconds"
