from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from . import selectors
from .forms import SignInForm
from .roles import roles_for


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/sign_in.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    pass


@login_required
def home(request):
    roles = roles_for(request.user)
    context = {"roles": roles, **selectors.home_page_for(request.user, roles)}
    return render(request, "supervision/home.html", context)


@require_POST
@login_required
def keep_alive(request):
    # The session middleware renews the cookie on every request; this one only needs to exist.
    return HttpResponse(status=204)


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
