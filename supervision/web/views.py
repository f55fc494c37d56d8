from allauth.account import views as allauth_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.children import staff_reach, teams_led
from access.files import FILE, Action, absence_link, get_file_for_user, restrict_files
from access.refusals import audited_list
from access.roles import role_required, roles_for
from oversight.flags import selectors as selectors_flags
from oversight.reports import home as selectors_home
from oversight.reports import home_kept, home_work
from supervision.accounts import limits
from supervision.accounts.selectors import sso_providers
from supervision.models import User
from supervision.organisation import audit
from supervision.people import file_timeline, leaving, selectors, services
from supervision.people.leaving import staff_mark_left
from supervision.web import health as health_checks
from supervision.web.forms import ChangeSupervisorForm, LeavingForm
from supervision.web.forms_accounts import SignInForm
from supervision.web.views_accounts import allow_sso_forms


class SignInView(allauth_views.LoginView):
    """Sign in with email and password, or with the organisation's single sign-on. A leaver
    who gives the right password, or whose session ended because they left, is told their
    account has closed and whom to ask for their records; anyone else (a wrong password, an
    unknown email, too many tries) learns nothing."""

    form_class = SignInForm
    template_name = "registration/sign_in.html"

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            closed = leaving.closed_account_of_session(request.session)
            if closed is not None:
                request.session.flush()
                return self.account_closed(closed)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso_providers": sso_providers(self.request),
            "sso_only": settings.SSO_ONLY,
        }

    def render_to_response(self, context, **kwargs):
        return allow_sso_forms(super().render_to_response(context, **kwargs))

    def form_valid(self, form):
        response = super().form_valid(form)
        # The password was right: this browser is now known for the account, and keeps its
        # own count of failures (supervision.accounts.limits).
        account = getattr(self.request, "_trusted_device_for", None)
        if account:
            limits.trust_device(self.request, response, account)
        return response

    def form_invalid(self, form):
        if not any("Wait" in str(error) for error in form.non_field_errors()):
            closed = leaving.closed_account_for_credentials(
                form.cleaned_data.get("login", ""), form.cleaned_data.get("password", "")
            )
            if closed is not None:
                return self.account_closed(closed)
        return super().form_invalid(form)

    def account_closed(self, closed):
        return render(
            self.request,
            "registration/account_closed.html",
            {"closed": closed, "contact": settings.ACCOUNT_CLOSED_CONTACT},
        )


class SignOutView(auth_views.LogoutView):
    pass


@login_required
def home(request):
    roles = roles_for(request.user)
    now = timezone.now()
    sort = request.GET.get("sort")
    cache_key = home_kept.home_key(request, roles, sort, timezone.localdate(now))
    # Read before the page is made: a write committed meanwhile moves it on (home_kept).
    seen = home_kept.stamp(request.user.pk)
    with_messages = home_kept.shows_messages(request)
    html = None if with_messages else home_kept.kept(cache_key, seen, now)
    if html is None:
        context = _home_context(request, roles, now)
        content = home_kept.make(
            lambda extra: render_to_string(home_kept.CONTENT, {**context, **extra}, request)
        )
        html = home_kept.around(request, home_kept.PAGE, content, {"roles": roles})
        if not with_messages:
            home_kept.keep(cache_key, seen, html, now)
    audited_list(request, "home")
    return HttpResponse(home_kept.served(request, html))


def _home_context(request, roles, now) -> dict:
    context = {
        "roles": roles,
        "today": timezone.localdate(now),
        **home_work.home_page_for(request.user, roles),
    }
    # What is overdue, one query: the person's own flags and those of the people they
    # supervise (read just above) and of those people's children.
    supervising = context.get("my_supervisees")
    context.update(
        home_work.home_flags(
            request.user,
            roles,
            now,
            supervisee_ids=None if supervising is None else [r.supervisee_id for r in supervising],
        )
    )
    # The supervisor's table of supervisees and the supervisee's own supervision, built on the
    # lists above.
    context.update(
        selectors_home.home_dashboards(
            request.user, roles, context, now=now, sort=request.GET.get("sort")
        )
    )
    return context


@require_POST
@login_required
def keep_alive(request):
    # Asked for by the timeout warning: the idle limit is renewed now, whenever it last was
    # (supervision.web.middleware.SessionRefreshMiddleware renews it at most once a minute).
    request.session.modified = True
    return HttpResponse(status=204)


def health(request):
    """One line a part, and 503 when any is down (supervision.web.health)."""
    parts = health_checks.report()
    lines = [f"{name}: {'ok' if ok else 'down'} ({detail})" for name, (ok, detail) in parts.items()]
    healthy = all(ok for ok, _ in parts.values())
    return HttpResponse(
        "\n".join(lines) + "\n", status=200 if healthy else 503, content_type="text/plain"
    )


@role_required("supervisor")
def my_team_page(request):
    team = selectors.my_team(request.user)
    audited_list(request, "my_team", count=len(team))
    return render(
        request,
        "supervision/my_team.html",
        {
            "team": team,
            "today": timezone.localdate(),
            "case_teams": teams_led(request.user, [row["person"] for row in team]),
        },
    )


@login_required
def staff_file(request, person_id):
    person, may_edit = get_file_for_user(request, person_id)
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=FILE,
        object_id=person.pk,
        subject=person,
    )
    kinds = {kind for kind in request.GET.getlist("kind") if kind in file_timeline.KINDS}
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() else None
    context = {
        "person": person,
        "may_edit": may_edit,
        "items": file_timeline.file_items(person, kinds=kinds or None, year=year),
        "kinds": file_timeline.KINDS,
        "chosen_kinds": kinds,
        "year": year,
        "years": range(timezone.localdate().year + 1, person.profile.start_date.year - 1, -1),
        "history": selectors.file_history(person),
        # A grant over the file is not a way into the children the person works with.
        "may_see_caseload": person.profile.job_role.holds_cases
        and staff_reach(request.user).filter(pk=person.pk).exists(),
        "may_see_access_log": restrict_files(request.user, Action.VIEW_ACCESS_LOG)
        .filter(pk=person.pk)
        .exists(),
        # One query: whether this viewer records the person's absences (S5 cover).
        "may_manage_absences": absence_link(request.user, person, may_edit),
        # The person's own flags only: a reader of the file may have no reach over children.
        **selectors_flags.file_flags(person, may_edit=may_edit),
    }
    return render(request, "supervision/staff_file.html", context)


@role_required("system_admin")
def organisation(request):
    context = {
        "units": selectors.organisation_units(),
        "people": selectors.organisation_people(),
    }
    audited_list(request, "organisation", count=len(context["people"]))
    return render(request, "supervision/organisation.html", context)


@role_required("system_admin")
def change_supervisor(request, person_id):
    supervisee = get_object_or_404(
        User.objects.select_related("profile"), pk=person_id, profile__isnull=False
    )
    form = ChangeSupervisorForm(
        request.POST if request.method == "POST" else None, supervisee=supervisee
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.relationship_change_line_supervisor(
                supervisee=supervisee,
                new_supervisor=form.cleaned_data["new_supervisor"],
                on=form.cleaned_data["on"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            messages.success(
                request,
                f"{form.cleaned_data['new_supervisor'].full_name} supervises "
                f"{supervisee.full_name} from {form.cleaned_data['on']:%-d %B %Y}",
            )
            return redirect("organisation")
    current = selectors.current_supervisors_of(supervisee).filter(kind="line").first()
    return render(
        request,
        "supervision/change_supervisor.html",
        {"form": form, "supervisee": supervisee, "current": current},
    )


@role_required("system_admin")
def mark_left(request, person_id):
    person = get_object_or_404(
        User.objects.select_related("profile"), pk=person_id, profile__isnull=False
    )
    form = LeavingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            staff_mark_left(
                person=person,
                leaving_date=form.cleaned_data["leaving_date"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                f"{person.full_name} marked as left on "
                f"{form.cleaned_data['leaving_date']:%-d %B %Y}. Their file is now read-only",
            )
            return redirect("organisation")
    return render(request, "supervision/mark_left.html", {"form": form, "person": person})
