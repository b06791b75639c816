from django.contrib import admin

from stockroom.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = ["user", "prefix", "token_hash", "created_at", "last_used_at"]
    fields = ["user", "name", "prefix", "token_hash", "created_at", "last_used_at", "revoked_at"]

    def has_add_permission(self, request):  # tokens are created with `stockroom api-token create`
        return False
