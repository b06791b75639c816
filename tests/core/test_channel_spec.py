"""The channel spec vocabulary (stockroom.channels.spec) and Amazon's spec: pure, no database."""

import json
from datetime import UTC, datetime

import pytest

from stockroom.channels.spec import (
    COMMON_OPTIONS,
    AccountIdField,
    Addressing,
    AddressingKind,
    ChannelSpec,
    InvalidOption,
    Marketplace,
    Option,
    ShippingMappingSpec,
    parse_orders_since,
)
from stockroom.connectors.amazon import spec as amazon
from stockroom.connectors.amazon.connector import AmazonConnector
from tests.reference import official

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def marketplace_spec(**changes) -> ChannelSpec:
    """An eBay-like channel: one marketplace per account, an authorised user as its identity."""
    fields = {
        "key": "auction",
        "display_name": "Auction",
        "credentials": (),
        "addressing": Addressing(
            kind=AddressingKind.MARKETPLACE,
            account_id=AccountIdField(label="User"),
            marketplaces=(Marketplace("EBAY_GB", "United Kingdom"), Marketplace("EBAY_DE", "Germany")),
        ),
    }
    return ChannelSpec(**{**fields, **changes})


def test_common_options_live_once_and_every_spec_has_them_first_in_its_own_words():
    assert [o.key for o in COMMON_OPTIONS] == [
        "inventory_update",
        "hold_shipping_data",
        "download_orders_since",
        "max_quantity",
        "min_level",
        "percentage",
        "fixed_quantity",
        "stock_reserve",
    ]
    spec = marketplace_spec(
        options=(Option("listing_format", "Format", "FixedPrice or Auction.", "FixedPrice"),)
    )
    assert [o.key for o in spec.all_options] == [
        "inventory_update",
        "hold_shipping_data",
        "download_orders_since",
        "max_quantity",
        "min_level",
        "percentage",
        "fixed_quantity",
        "stock_reserve",
        "listing_format",
    ]
    assert spec.option("inventory_update").help == "Send stock levels of linked listings to Auction (on/off)."
    assert spec.option_defaults() == {
        "inventory_update": True,
        "hold_shipping_data": False,
        "download_orders_since": "",
        "max_quantity": None,
        "min_level": None,
        "percentage": None,
        "fixed_quantity": None,
        "stock_reserve": True,
        "listing_format": "FixedPrice",
    }
    assert [o.key for o in amazon.SPEC.all_options][: len(COMMON_OPTIONS)] == [o.key for o in COMMON_OPTIONS]


def test_a_bool_option_reads_on_and_off_and_refuses_anything_else():
    option = COMMON_OPTIONS[0]
    assert [option.clean(v) for v in ("on", "Yes", "1", True, "off", "", "no", False)] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    with pytest.raises(InvalidOption, match="inventory_update must be on or off, got 'maybe'"):
        option.clean("maybe")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2026-11-01 08:30:00", "2026-11-01T08:30:00Z"),
        ("2026-11-01T08:30", "2026-11-01T08:30:00Z"),
        ("2026-11-01T10:30:00+02:00", "2026-11-01T08:30:00Z"),
        ("2026-11-01T10:30:00+0200", "2026-11-01T08:30:00Z"),
        ("2026-11-01", "2026-11-01T00:00:00Z"),
        ("", ""),
    ],
)
def test_orders_since_is_stored_as_iso_utc(typed, stored):
    assert parse_orders_since(typed, now=NOW) == stored


@pytest.mark.parametrize("typed", ["01/11/2026", "2026-13-01", "٢٠٢٦-11-01", "2026-11-01 25:00:00"])
def test_orders_since_refuses_what_is_not_a_time(typed):
    with pytest.raises(InvalidOption, match="is not a time: write yyyy-mm-dd hh:mm:ss"):
        parse_orders_since(typed, now=NOW)


def test_orders_since_refuses_the_future():
    with pytest.raises(InvalidOption, match="download_orders_since cannot be in the future"):
        parse_orders_since("2026-12-05 12:00:01", now=NOW)


def test_a_carrier_list_gives_the_channels_spelling_and_other_needs_a_name():
    shipping = ShippingMappingSpec(carrier_codes=("Royal Mail", "DPD", "Other"), other_carrier_code="Other")
    assert shipping.carrier("royal mail", "", channel_name="X") == ("Royal Mail", [])
    assert shipping.carrier("other", "", channel_name="X") == (
        "Other",
        ["carrier code Other needs the carrier's name (X requires it)"],
    )
    assert shipping.carrier("Pigeon", "", channel_name="X")[1] == [
        "'Pigeon' is not one of X's carrier codes: pick one from the list, or Other with the carrier's name"
    ]
    free = ShippingMappingSpec(carrier_required=True)
    assert free.carrier(" Any Carrier ", "", channel_name="X") == ("Any Carrier", [])
    assert free.carrier("", "", channel_name="X") == ("", ["carrier code is required"])


def test_a_marketplace_is_found_by_code_or_stored_id():
    addressing = amazon.SPEC.addressing
    assert addressing.marketplace("uk").stored == "A1F83G8C2ARO7P"
    assert addressing.marketplace("A1F83G8C2ARO7P").code == "UK"
    assert addressing.marketplace("DK") is None
    assert marketplace_spec().addressing.marketplace("ebay_gb").stored == "EBAY_GB"


def test_amazons_spec_is_what_its_connector_declares_and_reads():
    assert AmazonConnector.spec is amazon.SPEC
    assert AmazonConnector.capabilities.requires_tracking_number is True
    assert [c.key for c in amazon.SPEC.credentials] == [
        "client_id",
        "client_secret",
        "refresh_token",
        "aws_access_key_id",  # order notifications (ADR 0016): optional
        "aws_secret_access_key",
    ]
    assert all(c.secret and c.required for c in amazon.SPEC.credentials[:3])
    assert [(c.secret, c.required) for c in amazon.SPEC.credentials[3:]] == [(False, False), (True, False)]
    assert AmazonConnector.capabilities.order_pushes is True
    assert [r.code for r in amazon.SPEC.addressing.regions] == ["na", "eu", "fe"]
    assert [c.value for c in amazon.SPEC.order_sources] == ["orders_api", "report_flat", "report_xml"]
    assert amazon.SPEC.option("report_period").choices[0].label == "every 15 minutes"
    assert amazon.SPEC.option("report_period").choices[-1].label == "every day"
    assert amazon.SPEC.shipping.carrier_codes[-1] == "Other"


@pytest.mark.conformance
def test_amazons_report_periods_are_among_the_periods_createreportschedule_takes():
    model = json.loads(official("models/reports_2021-06-30.json").read_text(encoding="utf-8"))
    allowed = model["definitions"]["CreateReportScheduleSpecification"]["properties"]["period"]["enum"]
    assert set(amazon.REPORT_PERIOD_VALUES) <= set(allowed)
    assert amazon.DEFAULT_REPORT_PERIOD in amazon.REPORT_PERIOD_VALUES


def test_an_account_of_a_one_marketplace_channel_names_exactly_one_of_its_marketplaces():
    from stockroom.core.errors import InvalidInput
    from stockroom.sync.accounts import clean_marketplaces, clean_region

    spec = marketplace_spec()
    assert clean_region(spec, "anything") == ""  # no regions: none stored
    assert clean_marketplaces(spec, "ebay_de", region="") == ["EBAY_DE"]
    with pytest.raises(
        InvalidInput, match="Auction accounts sell on one marketplace each: add one account per marketplace"
    ):
        clean_marketplaces(spec, "EBAY_GB,EBAY_DE", region="")
    with pytest.raises(InvalidInput, match="unknown Auction marketplace 'EBAY_US'; known: EBAY_GB, EBAY_DE"):
        clean_marketplaces(spec, ["EBAY_US"], region="")
    with pytest.raises(InvalidInput, match="name the Auction marketplace of the account"):
        clean_marketplaces(spec, "", region="")
