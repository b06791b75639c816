"""Roles of the web interface: Administrator and Warehouse staff (Django groups).

- Administrator: everything, including users, channel accounts and their credentials.
  Superusers count as administrators.
- Warehouse staff: view and process orders, adjust and receive stock; never channel accounts or
  credentials.

Views for administrators only use ``@administrator_required`` (functions) or
``AdministratorRequiredMixin`` (classes); templates hide their links with
``{% if user|is_administrator %}`` (``{% load stockroom_web %}``).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

ADMINISTRATOR = "Administrator"
WAREHOUSE_STAFF = "Warehouse staff"
ROLES = (ADMINISTRATOR, WAREHOUSE_STAFF)


def is_administrator(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_stockroom_is_administrator", None)
    if cached is None:
        cached = user.groups.filter(name=ADMINISTRATOR).exists()
        user._stockroom_is_administrator = cached
    return cached


def role_of(user) -> str:
    """The role name shown on screens: Administrator, Warehouse staff, or "" (no role yet)."""
    if is_administrator(user):
        return ADMINISTRATOR
    if user.is_authenticated and user.groups.filter(name=WAREHOUSE_STAFF).exists():
        return WAREHOUSE_STAFF
    return ""


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
