"""User accounts, their roles and preferences (writes used by the Users and Preferences screens and the CLI)."""

import zoneinfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from stockroom.core.errors import Conflict, InvalidInput
from stockroom.web.models import UserPreferences
from stockroom.web.permissions import ROLES

User = get_user_model()


def _role_group(role: str) -> Group:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role[:40]!r}: choose one of {', '.join(ROLES)}")
    group, _ = Group.objects.get_or_create(name=role)
    return group


def create_user(*, username: str, password: str, role: str):
    username = (username or "").strip()
    if not username:
        raise InvalidInput("a username is required")
    if len(username) > 150:
        raise InvalidInput("username is longer than 150 characters")
    group = _role_group(role)
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"a user named {username} already exists")
    candidate = User(username=username)
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        raise InvalidInput("password: " + " ".join(error.messages)) from None
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password)
        user.groups.add(group)
    return user


def set_role(*, user, role: str, by=None):
    group = _role_group(role)
    if by is not None and by.pk == user.pk and role != "Administrator":
        raise InvalidInput("you cannot remove your own administrator role; ask another administrator")
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=ROLES))
        user.groups.add(group)
    user.__dict__.pop("_stockroom_is_administrator", None)
    return user


def set_active(*, user, active: bool, by=None):
    if not active and by is not None and by.pk == user.pk:
        raise InvalidInput("you cannot deactivate your own account")
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user


def valid_time_zones() -> list[str]:
    """Every IANA zone name the server knows, sorted (the choices of the preferences form)."""
    return sorted(zoneinfo.available_timezones())


def time_zone_of(user) -> str:
    """The zone the user chose, or "" (then the browser's zone is used)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    cached = getattr(user, "_stockroom_time_zone", None)
    if cached is None:
        cached = (
            UserPreferences.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first() or ""
        )
        user._stockroom_time_zone = cached
    return cached


def set_time_zone(*, user, time_zone: str) -> str:
    """Store the user's time zone ("" = follow the browser). Raises InvalidInput for an unknown zone."""
    name = (time_zone or "").strip()
    if name and name not in zoneinfo.available_timezones():
        raise InvalidInput(
            f"unknown time zone {name[:64]!r}: choose one from the list (e.g. Europe/London, America/New_York)"
        )
    UserPreferences.objects.update_or_create(user=user, defaults={"time_zone": name})
    user._stockroom_time_zone = name
    return name
