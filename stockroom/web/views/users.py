"""Users screen (administrators only): list, create, change role, deactivate or reactivate."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from stockroom.core.errors import StockroomError
from stockroom.web import users as user_services
from stockroom.web.pagination import SortOption, paginate
from stockroom.web.permissions import ROLES, administrator_required

User = get_user_model()

SORTS = {
    "username": SortOption("username", "username"),
    "last_login": SortOption("last_login", "last_login", kind=datetime, nullable=True),
}


@administrator_required
def user_list(request):
    page = paginate(
        User.objects.prefetch_related("groups"), params=request.GET, options=SORTS, default_sort="username"
    )
    return render(request, "web/users/list.html", {"page": page, "sort": page.sort, "roles": ROLES})


@administrator_required
def user_create(request):
    values = {"username": "", "role": ROLES[1]}
    error = ""
    if request.method == "POST":
        values = {"username": request.POST.get("username", ""), "role": request.POST.get("role", "")}
        try:
            user = user_services.create_user(
                username=values["username"], password=request.POST.get("password", ""), role=values["role"]
            )
        except StockroomError as exc:
            error = exc.message
        else:
            messages.success(
                request, f"User {user.username} created as {values['role']}. They can log in now."
            )
            return redirect("users")
    return render(
        request,
        "web/users/create.html",
        {"values": values, "error": error, "roles": ROLES},
        status=400 if error else 200,
    )


@administrator_required
@require_POST
def user_update(request, user_id: int):
    target = get_object_or_404(User, pk=user_id)
    action = request.POST.get("action", "")
    try:
        if action == "role":
            role = request.POST.get("role", "")
            user_services.set_role(user=target, role=role, by=request.user)
            messages.success(request, f"{target.username} is now {role}.")
        elif action in ("deactivate", "activate"):
            user_services.set_active(user=target, active=action == "activate", by=request.user)
            if action == "deactivate":
                messages.success(request, f"{target.username} is deactivated and can no longer log in.")
            else:
                messages.success(request, f"{target.username} can log in again.")
        else:
            messages.error(request, "Unknown action; nothing changed.")
    except StockroomError as exc:
        messages.error(request, f"Nothing changed: {exc.message}.")
    return redirect("users")
