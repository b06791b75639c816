"""User accounts and their roles (write operations used by the Users screen and the CLI)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from stockroom.core.errors import Conflict, InvalidInput
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
