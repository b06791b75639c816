"""read_ahead: the next page is fetched in a thread while the consumer works on this one."""

import threading

import pytest

from stockroom.channels.contracts import Transient
from stockroom.sync.readahead import read_ahead


def test_items_come_in_order_and_the_next_is_fetched_while_the_consumer_holds_this_one():
    fetching_second = threading.Event()

    def pages():
        yield 1
        fetching_second.set()
        yield 2
        yield 3

    reader = read_ahead(pages())
    first = next(reader)

    assert first == 1
    assert fetching_second.wait(10), "the second page was not fetched while the first was in hand"
    assert list(reader) == [2, 3]


def test_an_error_comes_after_the_items_before_it():
    def pages():
        yield "a"
        yield "b"
        raise Transient("the connection dropped half-way")

    got = []
    with pytest.raises(Transient, match="dropped half-way"):
        for page in read_ahead(pages()):
            got.append(page)

    assert got == ["a", "b"]


def test_stopping_early_stops_the_source_and_fetches_at_most_one_more():
    fetched, closed = [], threading.Event()

    def pages():
        try:
            for n in range(100):
                fetched.append(n)
                yield n
        finally:
            closed.set()

    reader = read_ahead(pages())
    assert next(reader) == 0
    reader.close()

    assert closed.wait(10)
    assert fetched in ([0, 1], [0, 1, 2])  # the page in hand, the one read ahead, one in flight
