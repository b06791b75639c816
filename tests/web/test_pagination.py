"""Keyset pagination walks every row exactly once, forwards and backwards, with ties and NULLs."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.http import QueryDict

from stockroom.web.pagination import SortOption, paginate
from tests.factories import create_user

OPTIONS = {
    "name": SortOption("name", "username"),
    "seen": SortOption("seen", "last_login", kind=datetime, nullable=True),
    "first": SortOption("first", "first_name"),
}


@pytest.fixture
def users(db):
    seen = [None, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)]
    created = []
    for n in range(11):
        # few distinct values, so most rows tie on the sort column and the pk decides
        created.append(create_user(f"u{n:02d}", role=None, first_name="ABC"[n % 3], last_login=seen[n % 3]))
    return created


def _walk(sort: str, per_page: int) -> tuple[list[int], list[int]]:
    forward, pages = [], []
    params = QueryDict(mutable=True)
    params["sort"] = sort
    page = paginate(
        User.objects.all(), params=params, options=OPTIONS, default_sort="name", per_page=per_page
    )
    pages.append(page)
    forward += [u.pk for u in page]
    while page.has_next:
        params = QueryDict(mutable=True)
        params.update({"sort": sort, "after": page.next_cursor})
        page = paginate(
            User.objects.all(), params=params, options=OPTIONS, default_sort="name", per_page=per_page
        )
        pages.append(page)
        forward += [u.pk for u in page]
    backward = []
    while page.has_previous:
        params = QueryDict(mutable=True)
        params.update({"sort": sort, "before": page.previous_cursor})
        page = paginate(
            User.objects.all(), params=params, options=OPTIONS, default_sort="name", per_page=per_page
        )
        backward = [u.pk for u in page] + backward
    return forward, backward


@pytest.mark.parametrize("sort", ["name", "-name", "seen", "-seen", "first", "-first"])
@pytest.mark.parametrize("per_page", [1, 3, 4])
def test_every_row_once_in_order(users, sort, per_page):
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    field = OPTIONS[key].field

    def sort_key(user):
        value = getattr(user, field)
        missing = value is None
        return (not missing, value if not missing else datetime.min.replace(tzinfo=UTC), user.pk)

    expected = [u.pk for u in sorted(users, key=sort_key, reverse=descending)]
    forward, backward = _walk(sort, per_page)
    assert forward == expected
    # walking back from the last page ends on the first page again (without the last page's rows)
    last_page_size = len(expected) % per_page or per_page
    assert backward == expected[: len(expected) - last_page_size]
