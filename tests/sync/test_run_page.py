"""The page of one sync run: what it did in words, its counts once, and what each write sent."""

from django.urls import reverse

from stockroom.sync import engine
from stockroom.web.permissions import ADMINISTRATOR
from tests.sync.test_sync_web import client_for


def test_a_run_page_says_its_steps_in_words_and_the_quantity_each_stock_update_sent(
    db, fake_account, channel, make_item, link
):
    # given an account whose linked listing needs its quantity sent
    account = fake_account("Run Shop")
    link(account, "CH-RUN", make_item("RUN-1", on_hand=7))
    run = engine.sync_account(account, trigger="cli")

    # when an administrator opens the run
    html = client_for(ADMINISTRATOR).get(reverse("sync_run", args=[run.pk])).content.decode()

    # then the steps read as words, the summary is shown once, and the write shows what it sent
    assert (
        "<p data-run-steps>Steps: download orders, send shipping confirmations, send stock levels, "
        "collect the channel&#x27;s answers.</p>"
    ) in html
    assert "orders,shipments" not in html
    assert html.count("1 stock update") == 1
    assert run.message not in html
    assert "<td data-write-sent>Quantity 7</td>" in html
