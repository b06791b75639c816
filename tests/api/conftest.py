import pytest
from django.core.cache import cache

from stockroom.access.tokens import create_api_token


@pytest.fixture(autouse=True)
def _no_counted_failures():
    """Invalid-token counts (access.throttle) live in the cache: each test starts without any."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(client, make_user):
    """A Django test client speaking JSON with a Warehouse staff token (``api.token``)."""

    class Api:
        def __init__(self, secret: str):
            self.secret = secret

        def headers(self):
            return {"Authorization": f"Bearer {self.secret}"} if self.secret else {}

        def get(self, path, data=None, **extra):
            return client.get(path, data, headers=self.headers(), **extra)

        def post(self, path, body=None, **extra):
            return client.post(
                path, body or {}, content_type="application/json", headers=self.headers(), **extra
            )

    issued = create_api_token(username=make_user("staff").username, name="tests")
    instance = Api(issued.secret)
    instance.token = issued.token
    return instance
