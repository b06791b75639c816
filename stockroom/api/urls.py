from stockroom.api.api import api

app_name = api.urls_namespace  # "api": ninja's docs page reverses "api:openapi-json"
urlpatterns = api.urls[0]
