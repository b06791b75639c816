"""Web interface URLs. Every view requires a login; administrator-only views say so."""

from django.urls import include, path

from stockroom.web.account_views import listing_overview
from stockroom.web.views import auth, dashboard, favicon, inventory, orders, preferences, users

urlpatterns = [
    path("accounts/", include("stockroom.web.account_views")),
    path("listings/", listing_overview, name="listing_overview"),
    path("sync/", include("stockroom.web.sync_views")),
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("preferences/", preferences.preferences, name="preferences"),
    path("", dashboard.dashboard, name="dashboard"),
    # orders
    path("orders/", orders.order_list, name="orders"),
    path("orders/process/", orders.orders_process, name="orders_process"),
    path("orders/hold/", orders.orders_hold, name="orders_hold"),
    path("orders/<int:order_id>/", orders.order_detail, name="order_detail"),
    path("orders/<int:order_id>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<int:order_id>/delete/", orders.order_delete, name="order_delete"),
    path("orders/<int:order_id>/shipment/", orders.order_correct_shipment, name="order_correct_shipment"),
    path("orders/<int:order_id>/packages/", orders.order_dispatch_package, name="order_dispatch_package"),
    path("shipping-methods/", orders.shipping_methods, name="shipping_methods"),
    # inventory
    path("inventory/", inventory.item_list, name="inventory"),
    path("inventory/new/", inventory.item_create, name="item_create"),
    path("inventory/import/", inventory.item_import, name="inventory_import"),
    path("inventory/<int:item_id>/", inventory.item_detail, name="item_detail"),
    path("inventory/<int:item_id>/edit/", inventory.item_edit, name="item_edit"),
    path("inventory/<int:item_id>/adjust/", inventory.item_adjust, name="item_adjust"),
    path("inventory/<int:item_id>/receive/", inventory.item_receive, name="item_receive"),
    # users (administrators)
    path("users/", users.user_list, name="users"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<int:user_id>/", users.user_update, name="user_update"),
]
