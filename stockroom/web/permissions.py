"""Access checks of the web interface; the roles themselves are ``stockroom.access.roles``.

Views for administrators only use ``@administrator_required`` (functions) or
``AdministratorRequiredMixin`` (classes); templates hide their links with
``{% if user|is_administrator %}`` (``{% load stockroom_web %}``).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from stockroom.access.roles import ADMINISTRATOR, ROLES, WAREHOUSE_STAFF, is_administrator, role_of

__all__ = [
    "ADMINISTRATOR",
    "ROLES",
    "WAREHOUSE_STAFF",
    "AdministratorRequiredMixin",
    "administrator_required",
    "is_administrator",
    "role_of",
]


def administrator_required(view):
    """Log in first; then only administrators pass, everyone else gets the 403 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_administrator(request.user):
            raise PermissionDenied("This page is for administrators.")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


class AdministratorRequiredMixin(LoginRequiredMixin):
    """Class-based twin of ``administrator_required``."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_administrator(request.user):
            raise PermissionDenied("This page is for administrators.")
        return super().dispatch(request, *args, **kwargs)
