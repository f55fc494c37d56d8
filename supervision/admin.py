"""Django admin for system administrators: people, units, job roles, relationships and access
grants. No model holding record content is registered here, and tests/test_admin.py keeps it
that way (separation of duties).

Administrators run the system and never read it, nor anyone's password: the admin shows no password
hash, its "change password" page is refused for every account, and a new account has no password
anyone knows. Instead the person is emailed a link to set their own
(`supervision.people.passwords`). Every change made here (add, change, delete, actions) is also in
the app's hash-chained audit log (`AuditedAdmin`), naming the person it concerns."""

import json

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from access.refusals import refuse
from supervision.accounts import services as account_services
from supervision.models import (
    AccessGrant,
    JobRole,
    StaffProfile,
    SupervisoryRelationship,
    Unit,
    User,
)
from supervision.organisation import audit
from supervision.people import passwords, services

ADMIN_CHANGE = "admin_change"
VERBS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def _person_concerned(obj):
    """The member of staff a change in the admin is about, if any, for their access log."""
    for candidate in (
        obj if isinstance(obj, User) else None,
        getattr(obj, "user", None) if isinstance(obj, StaffProfile) else None,
        getattr(obj, "supervisee", None) if isinstance(obj, SupervisoryRelationship) else None,
        getattr(obj, "subject", None) if isinstance(obj, AccessGrant) else None,
    ):
        if isinstance(candidate, User):
            return candidate
    return None


def _changed_fields(message) -> list[str]:
    """The names of the fields the admin says were changed: never their values."""
    if isinstance(message, str):
        try:
            message = json.loads(message) if message else []
        except ValueError:
            return []
    names = []
    for part in message or []:
        for change in part.values() if isinstance(part, dict) else []:
            names.extend(change.get("fields", []) if isinstance(change, dict) else [])
    return sorted(set(names))


def audit_admin_change(request, obj, flag: int, message="") -> None:
    """One audited write per object added, changed or deleted in the Django admin: the model,
    the id, the names of the fields changed, never a value (no content, no password)."""
    detail = {
        "admin": VERBS[flag],
        "model": obj._meta.label_lower,
    }
    fields = _changed_fields(message)
    if fields:
        detail["fields"] = fields
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        object_type=ADMIN_CHANGE,
        object_id=str(obj.pk)[:64],
        subject=_person_concerned(obj),
        detail=detail,
    )


class AuditedAdmin:
    """For every ModelAdmin registered: the admin's own log (LogEntry) is written by these three
    methods for every add, change and delete, the bulk "Delete selected" action included, so
    each is also written, with the request, to the audit log.
    tests/supervision/test_admin.py
    checks that every registered ModelAdmin has it."""

    # True where save and delete go through a service that writes its own audited entry
    # with the request (grants): a second entry for the same change would only be noise.
    audited_by_service = False

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        if not self.audited_by_service:
            audit_admin_change(request, obj, ADDITION, message)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        if not self.audited_by_service:
            audit_admin_change(request, obj, CHANGE, message)
        return entry

    def log_deletions(self, request, queryset):
        # Called before the objects are deleted, once for one or many.
        objects = list(queryset)
        entries = super().log_deletions(request, objects)
        if not self.audited_by_service:
            for obj in objects:
                audit_admin_change(request, obj, DELETION)
        return entries


def audit_every_model_admin(site=admin.site) -> None:
    """Give every ModelAdmin registered, those of installed packages too (Celery beat's
    schedules), the audited logging, once all are registered
    (`SupervisionConfig.ready`, after the admin's autodiscovery)."""
    for model_admin in site._registry.values():
        kind = type(model_admin)
        if not issubclass(kind, AuditedAdmin):
            model_admin.__class__ = type(f"Audited{kind.__name__}", (AuditedAdmin, kind), {})


class UserAddForm(forms.ModelForm):
    """A new account, with no password: the person sets their own with an emailed link."""

    class Meta:
        model = User
        fields = ("email", "full_name")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
            self.save_m2m()
        return user


class UserEditForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


@admin.action(description="Send a link to set their password")
def send_password_links(modeladmin, request, queryset):
    sent = [
        user
        for user in queryset
        if passwords.set_password_link_queue(
            user, why=passwords.Why.ADMIN, by=request.user, request=request
        )
    ]
    skipped = queryset.count() - len(sent)
    if sent:
        modeladmin.message_user(
            request,
            f"Emailed a link to set their password to {len(sent)} "
            f"{'person' if len(sent) == 1 else 'people'}.",
            messages.SUCCESS,
        )
    if skipped:
        modeladmin.message_user(
            request,
            f"No link sent to {skipped}: a closed account, a leaver, or a link sent this second.",
            messages.WARNING,
        )


@admin.action(description="Reset two-factor authentication (a lost phone or key)")
def reset_two_factor(modeladmin, request, queryset):
    reset = [
        person
        for person in queryset
        if account_services.two_factor_reset(person=person, by=request.user, request=request)
    ]
    modeladmin.message_user(
        request,
        f"Removed the second factors of {len(reset)} "
        f"{'person' if len(reset) == 1 else 'people'} and signed them out everywhere. If "
        "their role asks for one, they set up a new one at their next sign-in.",
        messages.SUCCESS,
    )


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    change_form_template = "admin/supervision/user/change_form.html"
    add_form_template = "admin/supervision/user/add_form.html"
    actions = [send_password_links, reset_two_factor]
    ordering = ["full_name"]
    list_display = ["full_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["full_name", "email"]
    fieldsets = [
        (None, {"fields": ["email", "full_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name"]})]
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ["groups"]

    def get_urls(self):
        send = path(
            "<id>/send-password-link/",
            self.admin_site.admin_view(self.send_password_link_view),
            name="supervision_user_send_password_link",
        )
        return [send, *super().get_urls()]

    def user_change_password(self, request, id, form_url=""):
        """Nobody sets another person's password, an administrator least of all."""
        person = User.objects.filter(pk=id).first() if str(id).isdigit() else None
        refuse(
            request,
            "password",
            id,
            answer=403,
            subject=person,
            wanted="set another person's password",
            message="Nobody sets another person's password. Send them a link to set their own.",
        )

    def send_password_link_view(self, request, id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        user = get_object_or_404(User, pk=id) if str(id).isdigit() else None
        if user is None or not self.has_change_permission(request, user):
            raise PermissionDenied
        if passwords.set_password_link_queue(
            user, why=passwords.Why.ADMIN, by=request.user, request=request
        ):
            self.message_user(request, f"Emailed {user.email} a link to set their password.")
        else:
            self.message_user(
                request,
                "No link sent: the account is closed or the person has left.",
                messages.WARNING,
            )
        return HttpResponseRedirect(reverse("admin:supervision_user_change", args=[user.pk]))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # A new account: the person sets their own password with the emailed link.
            passwords.set_password_link_queue(
                obj, why=passwords.Why.NEW_ACCOUNT, by=request.user, request=request
            )


admin.site.unregister(Group)
# allauth's own admin pages would show second-factor secrets, single sign-on tokens and the
# client secret, and offer addresses and sessions this product does not manage there.
for model in (Authenticator, EmailAddress, SocialAccount, SocialApp, SocialToken, UserSession):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, BaseGroupAdmin):
    pass


@admin.register(Unit)
class UnitAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "manager"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["manager", "parent"]


@admin.register(JobRole)
class JobRoleAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["name", "code", "category", "holds_cases"]
    list_filter = ["category", "holds_cases"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(StaffProfile)
class StaffProfileAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["user", "job_role", "unit", "employment_type", "start_date", "is_active"]
    list_filter = ["job_role", "unit", "employment_type", "is_active"]
    search_fields = ["user__full_name", "user__email"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "job_role", "unit"]
    # Every editable field shows, fortnightly_from (F3) among them: no fieldsets to forget it.


@admin.register(SupervisoryRelationship)
class SupervisoryRelationshipAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["supervisee", "supervisor", "kind", "starts_on", "ends_on"]
    list_filter = ["kind"]
    search_fields = ["supervisee__full_name", "supervisor__full_name"]
    autocomplete_fields = ["supervisor", "supervisee"]
    list_select_related = ["supervisor", "supervisee"]


@admin.register(AccessGrant)
class AccessGrantAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["grantee", "subject", "starts_on", "ends_on", "revoked_at"]
    search_fields = ["grantee__full_name", "subject__full_name"]
    autocomplete_fields = ["grantee", "subject"]
    fields = ["grantee", "subject", "starts_on", "ends_on", "includes_personal_sections", "reason"]
    list_select_related = ["grantee", "subject"]
    audited_by_service = True

    def has_change_permission(self, request, obj=None):
        # A grant is given or revoked, never edited: the audit trail keeps each step.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        grant = services.access_grant_create(
            grantee=obj.grantee,
            subject=obj.subject,
            starts_on=obj.starts_on,
            ends_on=obj.ends_on,
            reason=obj.reason,
            includes_personal_sections=obj.includes_personal_sections,
            granted_by=request.user,
            request=request,
        )
        obj.pk = grant.pk

    def delete_model(self, request, obj):
        services.access_grant_revoke(grant=obj, by=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for grant in queryset:
            services.access_grant_revoke(grant=grant, by=request.user, request=request)
