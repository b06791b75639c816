"""The Orders API position rules (stockroom/connectors/amazon/positions.py) against a scripted Amazon:
where each run starts, resumes and re-reads."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from stockroom.connectors.amazon import connector as amazon_connector
from stockroom.connectors.amazon import positions

from .test_amazon_connector import connector

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Amazon:
    """searchOrders answered from a script; records each request's query."""

    def __init__(self, *answers: dict | httpx.Response) -> None:
        self.answers = list(answers)
        self.queries: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "lwa.test":
            return httpx.Response(200, json={"access_token": "Atza|1", "expires_in": 3600})
        self.queries.append(dict(request.url.params))
        answer = self.answers.pop(0)
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)


def page(*updated: datetime, token: str | None = None, bound: datetime = NOW - timedelta(minutes=2)) -> dict:
    body: dict = {"orders": [{"orderId": f"X-{m:%H%M%S}", "lastUpdatedTime": z(m)} for m in updated]}
    if token:
        body["pagination"] = {"nextToken": token}
    body["lastUpdatedBefore"] = z(bound)
    return body


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(amazon_connector, "_now", lambda: NOW)


def test_a_caught_up_busy_account_re_reads_a_minute_before_its_newest_order_not_five():
    until = NOW - timedelta(minutes=3)
    stored = positions.Position(until=until, last=until - timedelta(seconds=10)).encode()
    amazon = Amazon(page())

    pages = list(connector(amazon).fetch_orders(cursor=stored, since=None))

    assert amazon.queries[0]["lastUpdatedAfter"] == z(until - timedelta(seconds=70))
    assert positions.decode(pages[-1].next_cursor) == positions.Position(
        until=NOW - timedelta(minutes=2), last=until - timedelta(seconds=10)
    )


def test_a_quiet_account_keeps_the_full_overlap_and_an_old_bare_cursor_still_reads():
    until = NOW - timedelta(minutes=3)
    quiet = positions.Position(until=until, last=until - timedelta(hours=5)).encode()
    amazon = Amazon(page(), page())

    list(connector(amazon).fetch_orders(cursor=quiet, since=None))
    list(connector(amazon).fetch_orders(cursor=z(until), since=None))  # a cursor from before positions

    assert [q["lastUpdatedAfter"] for q in amazon.queries] == [z(until - timedelta(minutes=5))] * 2


def test_a_page_with_a_next_token_carries_it_and_the_next_run_reads_on_with_it():
    until = NOW - timedelta(minutes=10)
    first, second = NOW - timedelta(minutes=8), NOW - timedelta(minutes=4)
    amazon = Amazon(page(first, token="T2"))
    pages = connector(amazon).fetch_orders(cursor=positions.Position(until=until).encode(), since=None)
    one = next(pages)
    pages.close()  # the run stops here (rate-limited)

    left = positions.decode(one.next_cursor)
    assert (left.until, left.last, left.window.token, left.window.high, one.done) == (
        until, first, "T2", first, False,
    )  # fmt: skip

    amazon.answers.append(page(second))
    rest = list(connector(amazon).fetch_orders(cursor=one.next_cursor, since=None))

    assert amazon.queries[1] == {"paginationToken": "T2"}
    assert positions.decode(rest[-1].next_cursor) == positions.Position(
        until=NOW - timedelta(minutes=2), last=second
    )
    assert rest[-1].done


@pytest.mark.parametrize(
    ("refused", "in_order", "resumes_from"),
    [
        (False, True, "high - margin"),  # token too old: not tried
        (True, True, "high - margin"),  # token refused by Amazon
        (True, False, "window start"),  # pages out of time order: the whole window again
    ],
)
def test_a_stale_token_resumes_the_window_from_its_newest_stored_order_or_its_start(
    refused, in_order, resumes_from
):
    after = NOW - timedelta(minutes=15)
    high = NOW - timedelta(minutes=6)
    issued = NOW - (timedelta(minutes=1) if refused else positions.TOKEN_MAX_AGE + timedelta(seconds=1))
    window = positions.Window(after=after, token="OLD", issued=issued, high=high, sorted=in_order)
    cursor = positions.Position(until=after + timedelta(minutes=5), last=high, window=window).encode()
    answers = (
        [httpx.Response(400, json={"errors": [{"code": "InvalidInput", "message": "expired"}]})]
        if refused
        else []
    )
    amazon = Amazon(*answers, page(NOW - timedelta(minutes=3)))

    pages = list(connector(amazon).fetch_orders(cursor=cursor, since=None))

    expected = high - positions.OVERLAP_MARGIN if resumes_from == "high - margin" else after
    assert amazon.queries[-1]["lastUpdatedAfter"] == z(expected)
    assert len(amazon.queries) == 1 + refused
    assert positions.decode(pages[-1].next_cursor).until == NOW - timedelta(minutes=2)


def test_an_unreadable_cursor_starts_as_a_first_run():
    assert positions.decode('{"until": "yesterday"}') is None
    assert positions.decode("not a time") is None
    assert positions.decode("") is None
