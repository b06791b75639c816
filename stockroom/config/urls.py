from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from stockroom.web.webhooks import channel_webhook

urlpatterns = [
    # one login page, throttled (stockroom.access.throttle): the admin's own would not be
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/", include("stockroom.api.urls")),
    path("hooks/<int:account_id>/", channel_webhook, name="channel_webhook"),  # channels' webhooks
    path("", include("stockroom.web.urls")),
]
