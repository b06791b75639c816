"""Browser security and comfort: a strict Content-Security-Policy and the user's time zone."""

import zoneinfo
from urllib.parse import unquote

from django.utils import timezone

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'"
)


class ContentSecurityPolicyMiddleware:
    """No inline scripts or styles, nothing from other hosts (all assets are served locally)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response


class UserTimezoneMiddleware:
    """Show times in the user's zone: the one chosen in Preferences, else the one the browser
    reported (cookie ``tz``), else the server's. Stored times stay UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from stockroom.web.users import time_zone_of

        # app.js writes the cookie URL-encoded ("Europe%2FLondon"); Django hands it over as it came
        name = time_zone_of(getattr(request, "user", None)) or unquote(request.COOKIES.get("tz", ""))
        try:
            timezone.activate(zoneinfo.ZoneInfo(name)) if name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)
