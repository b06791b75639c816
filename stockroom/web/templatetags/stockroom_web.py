"""Template helpers: roles, sortable column headers, query strings that keep the current filters."""

from django import template
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
