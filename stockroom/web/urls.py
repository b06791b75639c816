"""Web interface URLs. Every view requires a login; administrator-only views say so."""

from django.urls import include, path

from stockroom.web.views import auth, dashboard, users

urlpatterns = [
    path("accounts/", include("stockroom.web.account_views")),
    path("sync/", include("stockroom.web.sync_views")),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("users/", users.user_list, name="users"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<int:user_id>/", users.user_update, name="user_update"),
]
