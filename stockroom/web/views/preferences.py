"""Preferences: what each user chooses for their own screens (today: the time zone of every date)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from stockroom.core.errors import StockroomError
from stockroom.web import users as user_services


@login_required
def preferences(request):
    chosen = user_services.time_zone_of(request.user)
    error = ""
    if request.method == "POST":
        chosen = request.POST.get("time_zone", "")
        try:
            name = user_services.set_time_zone(user=request.user, time_zone=chosen)
        except StockroomError as error_:
            error = error_.message
        else:
            messages.success(
                request,
                f"Times are now shown in {name}." if name else "Times now follow your browser's time zone.",
            )
            return redirect("preferences")
    return render(
        request,
        "web/users/preferences.html",
        {
            "chosen": chosen,
            "zones": user_services.valid_time_zones(),
            "current_zone": timezone.get_current_timezone_name(),
            "now": timezone.now(),
            "error": error,
        },
        status=400 if error else 200,
    )
