"""``POST /hooks/<account id>/``: where channels deliver webhooks. No login (the channel signs each
delivery; the account's connector verifies it); one call to ``sync.webhooks.receive_webhook``."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from stockroom.sync import webhooks


@csrf_exempt
@require_POST
def channel_webhook(request: HttpRequest, account_id: int) -> JsonResponse:
    answer = webhooks.receive_webhook(account_id=account_id, headers=dict(request.headers), body=request.body)
    return JsonResponse({"status": answer.message}, status=answer.status)
