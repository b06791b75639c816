"""Log in (rate limited per username and IP address) and log out."""

from django.contrib import messages
from django.contrib.auth import views as auth_views

from stockroom.web import throttle


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if throttle.login_blocked(username, client_ip(request)):
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                f"Too many failed logins for this username from your address. Wait "
                f"{throttle.WINDOW_SECONDS // 60} minutes and try again, or ask an administrator "
                "to reset your password.",
            )
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttle.record_login_failure(self.request.POST.get("username", ""), client_ip(self.request))
        return super().form_invalid(form)

    def form_valid(self, form):
        throttle.clear_login_failures(form.get_user().get_username(), client_ip(self.request))
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have logged out. Log in again to continue.")
        return response
