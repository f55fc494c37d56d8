"""System administrators' pages for the API's service accounts: the list with each account's
last call, a new account, one account's tokens, issuing a token (shown this once) and
revoking one (at once). Writes go through api.tokens."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Max, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access.roles import role_required
from api import tokens
from api.models import ApiToken, ServiceAccount
from api.web.forms import IssueTokenForm, ServiceAccountForm


def _add_errors(form, error: ValidationError) -> None:
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


@role_required("system_admin")
def service_accounts(request):
    accounts = (
        ServiceAccount.objects.annotate(last_used_at=Max("tokens__last_used_at"))
        .prefetch_related("units")
        .order_by("name")
    )
    return render(request, "api/accounts.html", {"accounts": accounts})


@role_required("system_admin")
def service_account_new(request):
    form = ServiceAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account = tokens.account_create(
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                scopes=form.cleaned_data["scopes"],
                units=form.cleaned_data["units"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Service account {account.name} created. Issue it a token.")
            return redirect("api-service-account", account_id=account.pk)
    return render(request, "api/account_new.html", {"form": form})


def _account(account_id) -> ServiceAccount:
    return get_object_or_404(
        ServiceAccount.objects.prefetch_related(
            "units",
            Prefetch(
                "tokens", queryset=ApiToken.objects.select_related("created_by", "revoked_by")
            ),
        ),
        pk=account_id,
    )


@role_required("system_admin")
def service_account(request, account_id):
    account = _account(account_id)
    form = IssueTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            token, presented = tokens.token_issue(
                account=account, days=form.cleaned_data["days"], by=request.user, request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            # Rendered, not redirected: the token is in this one answer and nowhere else.
            response = render(
                request,
                "api/token_issued.html",
                {"account": account, "token": token, "presented": presented},
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "api/account.html",
        {"account": account, "form": form},
    )


@role_required("system_admin")
def token_revoke(request, token_id):
    token = get_object_or_404(ApiToken.objects.select_related("account"), pk=token_id)
    if request.method == "POST":
        tokens.token_revoke(token=token, by=request.user, request=request)
        messages.success(
            request, f"Token sr_{token.prefix}… revoked. It no longer works, from now."
        )
        return redirect("api-service-account", account_id=token.account_id)
    return render(request, "api/token_revoke.html", {"token": token})


@role_required("system_admin")
@require_POST
def service_account_switch_off(request, account_id):
    account = get_object_or_404(ServiceAccount, pk=account_id)
    tokens.account_switch_off(account=account, by=request.user, request=request)
    messages.success(request, f"{account.name} is switched off. None of its tokens work.")
    return redirect("api-service-account", account_id=account.pk)
