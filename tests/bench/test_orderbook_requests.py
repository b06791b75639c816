"""The order book benchmark asks many different questions: every search its own term and filters, and
listings followed by the Next link each page gives."""

import random

import pytest

from bench.scenarios.orderbook import FIRST, LAST, _next_web, _searches


def test_every_search_is_different_and_the_kinds_take_turns():
    order_ids = [f"202-{n:07d}-1234567" for n in range(30)]
    skus = [f"SKU-{n:05d}" for n in range(30)]
    searches = _searches(random.Random(3), 40, order_ids, skus)
    assert len(searches) == 40
    assert len({tuple(sorted(params.items())) for _, params in searches}) == 40
    assert [kind for kind, _ in searches[:4]] == ["surname", "full name", "order id", "sku"]
    for kind, params in searches:
        assert set(params) <= {"q", "source", "status"}
        assert params.get("source", "amazon") == "amazon" and params.get("status", "all") == "all"
        term = params["q"]
        if kind == "surname":
            assert term in LAST
        elif kind == "full name":
            first, last = term.split(" ")
            assert first in FIRST and last in LAST
        elif kind == "order id":
            assert term in order_ids
        else:
            assert term in skus


def test_too_few_terms_for_that_many_different_searches_is_said():
    with pytest.raises(ValueError, match=r"only \d+ different searches of 40: too few order ids or SKUs"):
        _searches(random.Random(3), 40, ["202-0000001-1234567"], ["SKU-00001"])


class _Page:
    def __init__(self, text):
        self.text = text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<a href="?status=all&amp;after=abc%3D" rel="next">Next</a>', "/orders/?status=all&after=abc%3D"),
        ('<span class="disabled">Next →</span>', None),
    ],
)
def test_the_next_page_is_the_link_the_page_gives(text, expected):
    assert _next_web("/orders/", _Page(text)) == expected
