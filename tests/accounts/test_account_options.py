"""Account options: validated in one place, stored normalised."""

from datetime import UTC, datetime

import pytest

from stockroom.core.errors import InvalidInput
from stockroom.sync import accounts


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("15m", "PT15M"),
        ("1h", "PT1H"),
        ("1d", "P1D"),
        ("30 minutes", "PT30M"),
        ("12h", "PT12H"),
        ("PT30M", "PT30M"),
        ("24h", "P1D"),
    ],
)
def test_report_period_accepts_short_and_iso_forms(make_account, typed, stored):
    account = accounts.set_account_option(account=make_account(), option="report_period", value=typed)
    assert account.options["report_period"] == stored


@pytest.mark.parametrize("typed", ["10m", "2d", "PT14M", "25h"])
def test_report_period_outside_15_minutes_to_1_day_is_refused(make_account, typed):
    with pytest.raises(InvalidInput, match="report_period must be between 15 minutes and 1 day"):
        accounts.set_account_option(account=make_account(), option="report_period", value=typed)


def test_report_period_must_be_one_of_amazons_schedule_periods(make_account):
    with pytest.raises(InvalidInput) as error:
        accounts.set_account_option(account=make_account(), option="report_period", value="90m")
    assert error.value.message == (
        "Amazon schedules order reports only every PT15M, PT30M, PT1H, PT2H, PT4H, PT8H, PT12H, P1D; "
        "'90m' is not one of them"
    )


def test_report_period_that_is_not_a_duration_is_refused(make_account):
    with pytest.raises(InvalidInput, match="report_period 'soon' is not a duration: write e.g. 15m, 1h, 1d"):
        accounts.set_account_option(account=make_account(), option="report_period", value="soon")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2026-11-01 08:30:00", "2026-11-01T08:30:00Z"),
        ("2026-11-01T08:30:00Z", "2026-11-01T08:30:00Z"),
        ("2026-11-01T10:30:00+02:00", "2026-11-01T08:30:00Z"),
        ("2026-11-01", "2026-11-01T00:00:00Z"),
    ],
)
def test_download_orders_since_is_stored_as_iso_utc(make_account, typed, stored):
    account = accounts.set_account_option(account=make_account(), option="download_orders_since", value=typed)
    assert account.options["download_orders_since"] == stored
    assert accounts.orders_since(account) == datetime.fromisoformat(stored.replace("Z", "+00:00"))
    assert accounts.orders_since(account).tzinfo == UTC


def test_download_orders_since_rejects_garbage_and_the_future(make_account):
    account = make_account()
    with pytest.raises(InvalidInput, match="download_orders_since '01/11/2026' is not a time"):
        accounts.set_account_option(account=account, option="download_orders_since", value="01/11/2026")
    with pytest.raises(InvalidInput, match="download_orders_since cannot be in the future"):
        accounts.set_account_option(
            account=account, option="download_orders_since", value="2999-01-01 00:00:00"
        )


@pytest.mark.parametrize(("typed", "stored"), [("0", 0), (0, 0), (" 25 ", 25), ("", ""), ("auto", "")])
def test_patch_threshold_is_a_whole_number_or_empty_for_automatic(make_account, typed, stored):
    account = accounts.set_account_option(account=make_account(), option="patch_threshold", value=typed)
    assert account.options["patch_threshold"] == stored


@pytest.mark.parametrize("typed", ["-1", "ten", "2.5", True])
def test_patch_threshold_that_is_not_a_whole_number_is_refused(make_account, typed):
    with pytest.raises(InvalidInput, match="patch_threshold must be a"):
        accounts.set_account_option(account=make_account(), option="patch_threshold", value=typed)


def test_patch_threshold_above_the_maximum_is_refused(make_account):
    with pytest.raises(InvalidInput) as error:
        accounts.set_account_option(account=make_account(), option="patch_threshold", value="1001")
    assert error.value.message == (
        "patch_threshold can be at most 1,000: more patches take minutes at Amazon's rate of 5 a second, "
        "which a feed does in one go"
    )


def test_patch_threshold_0_reaches_the_connector_as_never_patch(make_account):
    from stockroom.sync.registry import connector_for

    account = accounts.set_account_option(account=make_account(), option="patch_threshold", value="0")

    assert connector_for(account).patch_limit() == 0


def test_booleans_and_order_source(make_account):
    account = make_account()
    accounts.set_account_options(
        account=account,
        values={"inventory_update": "off", "hold_shipping_data": "yes", "order_source": "report-xml"},
    )
    account.refresh_from_db()
    assert account.options == {
        "inventory_update": False,
        "hold_shipping_data": True,
        "order_source": "report_xml",
    }


def test_secondary_integrated_needs_report_mode(make_account):
    account = make_account()
    with pytest.raises(InvalidInput, match="secondary_integrated applies only when orders come from reports"):
        accounts.set_account_option(account=account, option="secondary_integrated", value="on")
    accounts.set_account_option(account=account, option="order_source", value="report_flat")
    accounts.set_account_option(account=account, option="secondary_integrated", value="on")
    account.refresh_from_db()
    assert account.options == {"order_source": "report_flat", "secondary_integrated": True}


def test_all_problems_are_reported_at_once_and_nothing_is_stored(make_account):
    account = make_account(inventory_update=True)
    with pytest.raises(InvalidInput) as error:
        accounts.set_account_options(
            account=account, values={"inventory_update": "maybe", "order_source": "fax", "colour": "red"}
        )
    assert error.value.details["errors"] == [
        "inventory_update must be on or off, got 'maybe'",
        "order_source must be one of orders_api, report_flat, report_xml, got 'fax'",
        "unknown option 'colour' for Amazon accounts; options: inventory_update, hold_shipping_data, "
        "download_orders_since, max_quantity, min_level, percentage, fixed_quantity, stock_reserve, order_source, "
        "report_period, secondary_integrated, patch_threshold, order_notifications, notification_queue_url",
    ]
    account.refresh_from_db()
    assert account.options == {"inventory_update": True}
