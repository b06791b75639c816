"""Log in (throttled per username and client, see ``access.throttle``) and log out."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views

from stockroom.access import throttle


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def login_client(request, username: str) -> str:
    return throttle.client_for(username, client_ip(request), request.COOKIES.get(throttle.DEVICE_COOKIE, ""))


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        wait = throttle.login_wait(username, login_client(request, username))
        if wait:
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                f"Too many failed logins for this username from your address. Wait "
                f"{throttle.wait_in_words(wait)} and try again, or ask an administrator to reset your "
                "password. A browser you have logged in with before can still log in.",
            )
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        username = self.request.POST.get("username", "")
        throttle.record_login_failure(username, login_client(self.request, username))
        return super().form_invalid(form)

    def form_valid(self, form):
        username = form.get_user().get_username()
        throttle.clear_login_failures(username, login_client(self.request, username))
        response = super().form_valid(form)
        response.set_cookie(
            throttle.DEVICE_COOKIE,
            throttle.new_device_cookie(username),
            max_age=throttle.DEVICE_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have logged out. Log in again to continue.")
        return response
