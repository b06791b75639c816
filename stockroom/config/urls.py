from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # one login page, throttled (stockroom.access.throttle): the admin's own would not be
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/", include("stockroom.api.urls")),
    path("", include("stockroom.web.urls")),
]
