"""The two roles (Django groups): Administrator and Warehouse staff.

- Administrator: everything, including users, channel accounts and their credentials.
  Superusers count as administrators.
- Warehouse staff: view and process orders, adjust and receive stock; never channel accounts or
  credentials.
"""

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
