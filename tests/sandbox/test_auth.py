"""Login with Amazon token endpoint and access-token checks."""

from tests.reference import sample as our_sample

from .conftest import CLIENT_ID, CLIENT_SECRET, HTTP, REFRESH, SELLER, get_token

DENIED = "Access to requested resource is denied."


def _token(sim, **data):
    return HTTP.post(sim.base_url + "/auth/o2/token", data=data)


def test_refresh_token_grant_has_amazons_shape(simulator, seller):
    resp = _token(
        simulator,
        grant_type="refresh_token",
        refresh_token=REFRESH,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert resp.status_code == 200
    body = resp.json()
    sample = our_sample("lwa-token.refresh_token.response.json").read_text()
    import json

    assert set(body) == set(json.loads(sample))
    assert body["token_type"] == "bearer"
    assert body["refresh_token"] == REFRESH
    assert body["access_token"].startswith("Atza|")
    assert body["expires_in"] == 60  # 3600 simulated seconds at time scale 60, in real seconds


def test_invalid_grant_exactly_as_amazon(simulator, seller):
    resp = _token(
        simulator,
        grant_type="refresh_token",
        refresh_token="Atzr|wrong",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert resp.status_code == 400
    import json

    expected = json.loads(our_sample("lwa-token.error.invalid_grant.response.json").read_text())
    assert resp.json() == expected


def test_invalid_client(simulator, seller):
    resp = _token(
        simulator,
        grant_type="refresh_token",
        refresh_token=REFRESH,
        client_id=CLIENT_ID,
        client_secret="nope",
    )
    assert resp.status_code == 401
    assert resp.json() == {"error": "invalid_client", "error_description": "Client authentication failed"}
    resp = _token(
        simulator,
        grant_type="refresh_token",
        refresh_token=REFRESH,
        client_id="unknown",
        client_secret=CLIENT_SECRET,
    )
    assert resp.status_code == 401


def test_missing_and_unsupported_grant(simulator, seller):
    resp = _token(simulator, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"
    resp = _token(simulator, grant_type="password", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert resp.json() == {
        "error": "unsupported_grant_type",
        "error_description": "The authorization grant type is not supported by the authorization server",
    }


def test_client_credentials_grant_is_grantless(simulator, seller, api):
    resp = _token(
        simulator,
        grant_type="client_credentials",
        scope="sellingpartnerapi::notifications",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["scope"] == "sellingpartnerapi::notifications"
    assert "refresh_token" not in body
    denied = api.get("/sellers/v1/marketplaceParticipations", token=body["access_token"])
    assert denied.status_code == 403
    bad_scope = _token(
        simulator,
        grant_type="client_credentials",
        scope="sellingpartnerapi::everything",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert bad_scope.status_code == 400
    assert bad_scope.json()["error"] == "invalid_scope"


def test_missing_and_malformed_access_token(api):
    resp = api.client.get("/sellers/v1/account", headers={"x-amz-access-token": ""})
    assert resp.status_code == 403
    assert resp.json() == {
        "errors": [
            {
                "code": "Unauthorized",
                "message": DENIED,
                "details": "Access token is missing in the request header.",
            }
        ]
    }
    resp = api.get("/sellers/v1/account", token="Atza|forged")
    assert resp.status_code == 403
    assert (
        resp.json()["errors"][0]["details"]
        == "The access token you provided is revoked, malformed or invalid."
    )


def test_access_token_expires(api, control):
    assert api.get("/sellers/v1/account").status_code == 200
    control.advance_clock(3601)
    resp = api.get("/sellers/v1/account")
    assert resp.status_code == 403
    assert resp.json() == {
        "errors": [
            {
                "code": "Unauthorized",
                "message": DENIED,
                "details": "The access token you provided has expired.",
            }
        ]
    }
    fresh = get_token(api.base_url)
    assert api.get("/sellers/v1/account", token=fresh).status_code == 200


def test_aws_signature_headers_are_ignored(api):
    resp = api.get(
        "/sellers/v1/account",
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/eu-west-1/execute-api/aws4_request",
            "x-amz-date": "20261126T120000Z",
        },
    )
    assert resp.status_code == 200


def test_sellers_operations(api):
    resp = api.get("/sellers/v1/marketplaceParticipations")
    assert resp.status_code == 200
    payload = resp.json()["payload"]
    assert [p["marketplace"]["id"] for p in payload] == ["A1F83G8C2ARO7P", "A1PA6795UKMFR9"]
    assert payload[0]["marketplace"] == {
        "id": "A1F83G8C2ARO7P",
        "name": "Amazon.co.uk",
        "countryCode": "GB",
        "defaultCurrencyCode": "GBP",
        "defaultLanguageCode": "en_GB",
        "domainName": "www.amazon.co.uk",
    }
    assert payload[0]["storeName"] == "Sim Shop"
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.016"
    account = api.get("/sellers/v1/account").json()["payload"]
    assert account["sellingPlan"] == "PROFESSIONAL"
    assert account["business"]["name"] == "Sim Shop"
    assert SELLER  # the seller created by the fixture


def test_rdt_scoping(api, control, listing):
    from .conftest import place

    order = place(control)
    path = f"/orders/v0/orders/{order['order_id']}/address"
    plain = api.get(path)
    assert plain.status_code == 403
    assert plain.json()["errors"][0]["code"] == "Unauthorized"
    rdt = api.rdt(path)
    assert rdt.startswith("Atz.sprdt|")
    ok = api.get(path, token=rdt)
    assert ok.status_code == 200
    assert ok.json()["payload"]["ShippingAddress"]["AddressLine1"] == "1 Example Street"
    # an RDT only opens the resources it names
    assert api.get("/sellers/v1/account", token=rdt).status_code == 403
    # non-restricted paths cannot be requested
    resp = api.post(
        "/tokens/2021-03-01/restrictedDataToken",
        json={"restrictedResources": [{"method": "GET", "path": "/sellers/v1/account"}]},
    )
    assert resp.status_code == 400


def test_lwa_responses_carry_a_request_id(simulator, seller):
    ok = _token(
        simulator,
        grant_type="refresh_token",
        refresh_token=REFRESH,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    bad = _token(
        simulator,
        grant_type="refresh_token",
        refresh_token="x",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert ok.headers["x-amzn-RequestId"] and bad.headers["x-amzn-RequestId"]
    assert ok.headers["Cache-Control"] == "no-cache, no-store"
