"""Django admin for system administrators: people, units, job roles, relationships and access
grants. No model holding record content is registered here, and tests/test_admin.py keeps it
that way (separation of duties)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from . import services
from .models import AccessGrant, JobRole, StaffProfile, SupervisoryRelationship, Unit, User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["full_name"]
    list_display = ["full_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["full_name", "email"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        ("Access", {"fields": ["is_active", "is_staff", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})
    ]
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ["groups"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "manager"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["manager", "parent"]


@admin.register(JobRole)
class JobRoleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "category", "holds_cases"]
    list_filter = ["category", "holds_cases"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "job_role", "unit", "employment_type", "start_date", "is_active"]
    list_filter = ["job_role", "unit", "employment_type", "is_active"]
    search_fields = ["user__full_name", "user__email"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "job_role", "unit"]
    # Every editable field shows, fortnightly_from (F3) among them: no fieldsets to forget it.


@admin.register(SupervisoryRelationship)
class SupervisoryRelationshipAdmin(admin.ModelAdmin):
    list_display = ["supervisee", "supervisor", "kind", "starts_on", "ends_on"]
    list_filter = ["kind"]
    search_fields = ["supervisee__full_name", "supervisor__full_name"]
    autocomplete_fields = ["supervisor", "supervisee"]
    list_select_related = ["supervisor", "supervisee"]


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ["grantee", "subject", "starts_on", "ends_on", "revoked_at"]
    search_fields = ["grantee__full_name", "subject__full_name"]
    autocomplete_fields = ["grantee", "subject"]
    fields = ["grantee", "subject", "starts_on", "ends_on", "includes_personal_sections", "reason"]
    list_select_related = ["grantee", "subject"]

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
