"""Issue 10 item 11: account names are unique by one normalised, case-folded key on every database."""

import pytest
from django.db import IntegrityError, transaction

from stockroom.channels.models import ChannelAccount
from stockroom.channels.selectors import account_by_name
from stockroom.channels.services import create_account
from stockroom.core.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db


def _add(name: str, seller: str) -> ChannelAccount:
    return create_account(channel="amazon", name=name, external_account_id=seller, region="eu")


@pytest.mark.parametrize("again", ["MY SHOP", "my shop", "Ｍｙ Ｓｈｏｐ"])
def test_a_name_that_differs_only_by_case_or_width_is_the_same_account(again):
    _add("My Shop", "SELLER1")

    with pytest.raises(
        Conflict, match="^an account named 'My Shop' already exists; merchant names are unique"
    ):
        _add(again, "SELLER2")

    assert ChannelAccount.objects.count() == 1
    assert account_by_name(again).name == "My Shop"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("My\u00a0Shop", "contains a special space (U+00A0); use an ordinary space"),
        (
            "My\u200bShop",
            "contains an invisible formatting character (zero-width or direction override) (U+200B)",
        ),
        ("My\x1bShop", "contains a control character (U+001B)"),
    ],
)
def test_a_name_with_special_spaces_or_invisible_characters_is_refused(name, reason):
    _add("My Shop", "SELLER1")

    with pytest.raises(InvalidInput) as error:
        _add(name, "SELLER2")

    assert error.value.message == f"merchant name {name!r} {reason}"
    assert ChannelAccount.objects.count() == 1


def test_the_database_refuses_a_second_account_with_the_same_name_key():
    _add("My Shop", "SELLER1")

    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelAccount.objects.create(
            channel="amazon", name="MY\u00a0SHOP", external_account_id="S2", region="eu"
        )

    assert list(ChannelAccount.objects.values_list("name_key", flat=True)) == ["my shop"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        (
            "external_account_id",
            "A2\u200bSELLER",
            "contains an invisible formatting character (zero-width or direction override) (U+200B)",
        ),
        ("external_account_id", "A2\x7fSELLER", "contains a control character (U+007F)"),
    ],
)
def test_a_seller_id_with_invisible_or_control_characters_is_refused(field, value, reason):
    with pytest.raises(InvalidInput) as error:
        create_account(channel="amazon", name="Shop", region="eu", **{field: value})

    assert error.value.message == f"seller id {value!r} {reason}"
    assert not ChannelAccount.objects.exists()


def test_a_channel_sku_with_a_bidi_override_is_refused_when_linking(make_account, make_item):
    from stockroom.channels.services import link_listing

    with pytest.raises(InvalidInput) as error:
        link_listing(account=make_account("Shop"), channel_sku="MUG\u202e-1", stock_item=make_item("MUG-1"))

    assert error.value.message == (
        "channel SKU 'MUG\\u202e-1' contains an invisible formatting character (zero-width or direction override) (U+202E)"
    )


def test_links_by_identical_sku_use_the_same_key_on_every_database(make_account, make_item, link):
    from stockroom.channels.selectors import identical_sku_matches

    account = make_account("Shop")
    apples, mug = make_item("ÄPFEL"), make_item("MUG-1")
    link(account, "äpfel", None)
    link(account, "ｍｕｇ-1", None)  # full width
    link(account, "PEAR", None)

    preview = identical_sku_matches(account)

    assert [(m.channel_sku, m.stock_item_id) for m in preview.matches] == [
        ("äpfel", apples.pk),
        ("ｍｕｇ-1", mug.pk),
    ]
    assert preview.unmatched == ("PEAR",)
