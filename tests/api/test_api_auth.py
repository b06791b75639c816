import hashlib

import pytest
from django.utils import timezone

from stockroom.access.tokens import api_tokens, create_api_token, revoke_api_token
from stockroom.api.models import ApiToken
from stockroom.core.errors import InvalidInput, NotFound

pytestmark = pytest.mark.django_db


def test_only_a_hash_and_a_prefix_of_the_token_are_stored(make_user):
    issued = create_api_token(username=make_user("ann").username, name="label printer")

    token = ApiToken.objects.get()
    assert issued.secret.startswith("sr_") and len(issued.secret) == 46
    assert token.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert token.prefix == issued.secret[:10]
    assert issued.secret not in {token.name, token.prefix, token.token_hash}
    assert (token.user.username, token.name, token.last_used_at, token.revoked_at) == (
        "ann",
        "label printer",
        None,
        None,
    )


def test_a_valid_token_authenticates_and_records_its_last_use(api):
    response = api.get("/api/stock")

    assert response.status_code == 200
    api.token.refresh_from_db()
    assert api.token.last_used_at is not None


@pytest.mark.parametrize(
    ("headers", "code", "message"),
    [
        ({}, "missing_token", "this endpoint needs an API token"),
        ({"Authorization": "Bearer sr_not-a-real-token"}, "invalid_token", "the API token is not valid"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid_token", "the API token is not valid"),
    ],
)
def test_a_missing_or_unknown_token_gets_401_json(client, db, headers, code, message):
    response = client.get("/api/orders", headers=headers)

    assert response.status_code == 401
    assert response.json()["error"] == code
    assert response.json()["message"].startswith(message)


def test_a_tampered_token_is_refused(api, client):
    tampered = api.secret[:-1] + ("A" if api.secret[-1] != "A" else "B")

    response = client.get("/api/orders", headers={"Authorization": f"Bearer {tampered}"})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_a_revoked_token_is_refused_and_revoking_again_changes_nothing(api):
    revoked = revoke_api_token(reference=api.token.prefix)
    first_revoked_at = revoked.revoked_at

    response = api.get("/api/orders")

    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "message": f"the API token {api.token.prefix}… was revoked; create a new one",
    }
    assert revoke_api_token(reference=str(api.token.pk)).revoked_at == first_revoked_at
    assert list(api_tokens()) == []
    assert list(api_tokens(include_revoked=True)) == [api.token]


def test_a_token_of_a_deactivated_user_is_refused(api):
    api.token.user.is_active = False
    api.token.user.save()

    response = api.get("/api/orders")

    assert response.status_code == 401
    assert "is deactivated" in response.json()["message"]


def test_a_user_without_a_role_gets_403(client, make_user):
    issued = create_api_token(username=make_user("nobody", role=None).username)

    response = client.get("/api/orders", headers={"Authorization": f"Bearer {issued.secret}"})

    assert response.status_code == 403
    assert response.json() == {
        "error": "forbidden",
        "message": "user nobody may not do this through the API "
        "(needs the role Administrator or Warehouse staff)",
    }


def test_token_creation_and_revocation_errors_are_specific(make_user):
    make_user("gone", is_active=False)
    with pytest.raises(NotFound, match="no user named 'ghost'"):
        create_api_token(username="ghost")
    with pytest.raises(InvalidInput, match="user gone is deactivated"):
        create_api_token(username="gone")
    with pytest.raises(NotFound, match="no API token with id or prefix 'sr_nope'"):
        revoke_api_token(reference="sr_nope")
    assert not ApiToken.objects.exists()


def test_last_use_is_written_at_most_once_a_minute(api):
    earlier = timezone.now() - timezone.timedelta(seconds=30)
    ApiToken.objects.filter(pk=api.token.pk).update(last_used_at=earlier)

    api.get("/api/stock")

    api.token.refresh_from_db()
    assert api.token.last_used_at == earlier


def test_schema_and_docs_are_served_without_a_cdn(client, db):
    schema = client.get("/api/openapi.json")
    docs = client.get("/api/docs")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/api/orders",
        "/api/orders/{order_id}",
        "/api/orders/{order_id}/process",
        "/api/stock",
        "/api/stock/{sku}",
        "/api/stock/{sku}/adjust",
        "/api/stock/{sku}/receive",
        "/api/items",
    } <= set(paths)
    assert schema.json()["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    html = docs.content.decode()
    assert docs.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_invalid_tokens_from_one_address_are_slowed_but_a_valid_token_always_works(api, client):
    from stockroom.access import throttle

    bad = {"Authorization": "Bearer sr_not-a-real-token"}
    answers = [client.get("/api/stock", headers=bad) for _ in range(throttle.LIMIT + 1)]

    assert [r.status_code for r in answers] == [401] * (throttle.LIMIT - 1) + [429, 429]
    assert answers[-1].json() == {
        "error": "too_many_invalid_tokens",
        "message": "too many invalid API tokens from your address; wait 2 minutes (a valid token is never refused)",
        "details": {"retry_after": 120},
    }
    assert api.get("/api/stock").status_code == 200


def test_revoking_by_an_id_in_other_digits_or_too_long_is_not_found(api):
    for reference in ("٣", "9" * 22):
        with pytest.raises(NotFound):
            revoke_api_token(reference=reference)
