"""Organisation pages where the system administrator adds and changes people and units."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access.roles import role_required
from supervision.models import Unit, User
from supervision.people import staff_admin
from supervision.people.passwords import Why, set_password_link_queue
from supervision.web.form_errors import add_service_errors
from supervision.web.forms_staff_admin import PersonForm, UnitForm

TEMPLATE = "supervision/organisation_form.html"


def _page(request, form, title, person=None):
    return render(request, TEMPLATE, {"form": form, "title": title, "person": person})


@role_required("system_admin")
def person_add(request):
    form = PersonForm(request.POST if request.method == "POST" else None, adding=True)
    if request.method == "POST" and form.is_valid():
        try:
            person = staff_admin.person_add(by=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            sent = (
                " and sent a link to set their password" if form.cleaned_data["send_link"] else ""
            )
            messages.success(request, f"{person.full_name} added{sent}")
            return redirect("organisation")
    return _page(request, form, "Add a person")


@role_required("system_admin")
def person_edit(request, person_id):
    person = get_object_or_404(
        User.objects.select_related("profile"), pk=person_id, profile__isnull=False
    )
    profile = person.profile
    initial = {"full_name": person.full_name, "email": person.email}
    initial |= {name: getattr(profile, name) for name in staff_admin.PERSON_FIELDS}
    initial["job_role"], initial["unit"] = profile.job_role_id, profile.unit_id
    form = PersonForm(
        request.POST if request.method == "POST" else None, adding=False, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = staff_admin.person_update(
                person=person, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{person.full_name}'s details saved" if changed else "Nothing was changed",
            )
            return redirect("organisation")
    return _page(request, form, f"Change {person.full_name}'s details", person=person)


@require_POST
@role_required("system_admin")
def person_send_link(request, person_id):
    person = get_object_or_404(User, pk=person_id, profile__isnull=False)
    if set_password_link_queue(person, why=Why.ADMIN, by=request.user, request=request):
        messages.success(request, f"A link to set their password is on its way to {person.email}")
    else:
        messages.error(
            request,
            f"No link sent: {person.full_name} has left, their account is closed, a link was "
            "sent a moment ago, or there is no email address",
        )
    return redirect("person-edit", person.pk)


@role_required("system_admin")
def unit_add(request):
    form = UnitForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = staff_admin.unit_add(by=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{unit.name} added")
            return redirect("organisation")
    return _page(request, form, "Add a unit")


@role_required("system_admin")
def unit_edit(request, unit_id):
    unit = get_object_or_404(Unit.objects.select_related("manager"), pk=unit_id)
    initial = {
        "name": unit.name,
        "code": unit.code,
        "kind": unit.kind,
        "parent": unit.parent_id,
        "manager": unit.manager_id,
    }
    form = UnitForm(request.POST if request.method == "POST" else None, unit=unit, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = staff_admin.unit_update(
                unit=unit, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{unit.name} saved" if changed else "Nothing was changed")
            return redirect("organisation")
    return _page(request, form, f"Change {unit.name}")
