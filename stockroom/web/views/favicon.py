"""/favicon.ico, which browsers request on their own: the icon is the static SVG the pages link."""

from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control


@cache_control(max_age=86400, public=True)
def favicon(request):
    return redirect(static("web/favicon.svg"), permanent=True)
