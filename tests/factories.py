"""The one user factory of the test suite (fixture ``make_user`` in tests/conftest.py).

``create_user(role=...)`` makes an active user in the "Administrator" or "Warehouse staff" group (the groups
come from the web app's data migration; ``get_or_create`` because a transactional test elsewhere may have
flushed them), or in no group with ``role=None``. Every user's password is ``PASSWORD`` unless given.
"""

from __future__ import annotations

import itertools

from django.contrib.auth.models import Group, User

from stockroom.web.permissions import WAREHOUSE_STAFF

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def create_user(
    username: str | None = None, *, role: str | None = WAREHOUSE_STAFF, password: str = PASSWORD, **fields
) -> User:
    user = User.objects.create_user(username or f"user{next(_seq)}", password=password, **fields)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user
