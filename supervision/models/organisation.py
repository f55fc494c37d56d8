from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from supervision.organisation.plain_text import PlainTextValidator


def _with_updated_at(kwargs: dict) -> dict:
    """A save of some fields still moves `updated_at` on, so the API's `updated_since` sees
    the change (a save listing its fields would otherwise leave the auto_now field behind)."""
    if kwargs.get("update_fields") is not None:
        kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
    return kwargs


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Staff details live on StaffProfile; admins may have none."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, validators=[PlainTextValidator("Full name")])
    is_active = models.BooleanField(default=True)
    # Django admin access. Administrators manage people and units, never record content.
    is_staff = models.BooleanField("system administrator", default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # When their name or email last changed, for the API's `updated_since` on staff. A sign-in
    # or a new password changes nothing the API gives, so it does not count.
    details_changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        permissions = [
            ("read_supervision_file", "Can read this person's supervision file"),
            ("read_personal_sections", "Can read the personal sections of this person's file"),
        ]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_system_admin(self) -> bool:
        return self.is_staff

    # What an incremental reader (the API's staff list) counts as a change of the person.
    _DETAILS = ("email", "full_name")

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._details_as_loaded = {f: user.__dict__[f] for f in cls._DETAILS if f in user.__dict__}
        return user

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        # Reading a field deferred by only() loads it here: that is no change of it.
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        as_loaded = getattr(self, "_details_as_loaded", {})
        as_loaded.update({f: self.__dict__[f] for f in self._DETAILS if f in self.__dict__})
        self._details_as_loaded = as_loaded

    def _details_changed(self) -> bool:
        as_loaded = getattr(self, "_details_as_loaded", None)
        if self._state.adding or as_loaded is None:
            return True
        return any(
            f in self.__dict__ and (f not in as_loaded or self.__dict__[f] != as_loaded[f])
            for f in self._DETAILS
        )

    def save(self, *args, **kwargs):
        if self._details_changed():
            self.details_changed_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "details_changed_at"}
        super().save(*args, **kwargs)
        self._details_as_loaded = {f: self.__dict__[f] for f in self._DETAILS if f in self.__dict__}


class Unit(models.Model):
    """A directorate, service, team or any other level of the organisation's tree."""

    class Kind(models.TextChoices):
        DIRECTORATE = "directorate", "Directorate"
        SERVICE = "service", "Service"
        TEAM = "team", "Team"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, validators=[PlainTextValidator("Name")])
    code = models.SlugField(max_length=50, unique=True, help_text="Short code used in imports.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_units",
    )
    # Materialised path of ids ("/1/4/9/"), so "every unit below this one" is one indexed
    # prefix query at any depth instead of a recursive walk.
    path = models.CharField(max_length=500, editable=False, db_index=True, default="")
    # When the unit last changed, for the API's incremental refresh (`updated_since`).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["path"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        old_path = self.path
        with transaction.atomic():
            super().save(*args, **_with_updated_at(kwargs))
            new_path = f"{self.parent.path if self.parent_id else '/'}{self.pk}/"
            if new_path == old_path:
                return
            self.path = new_path
            Unit.objects.filter(pk=self.pk).update(path=new_path)
            if old_path:
                Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
                    updated_at=timezone.now(),
                )

    def clean(self):
        ancestor = self.parent
        while ancestor is not None:
            if self.pk and ancestor.pk == self.pk:
                raise ValidationError({"parent": "A unit cannot sit inside itself."})
            ancestor = ancestor.parent

    def ancestors(self):
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        by_id = Unit.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]

    def descendants(self, include_self=True):
        units = Unit.objects.filter(path__startswith=self.path)
        return units if include_self else units.exclude(pk=self.pk)


class JobRole(models.Model):
    """A job role, as data an administrator can extend ("People and roles" in docs/rules.md)."""

    class Category(models.TextChoices):
        PRACTITIONER = "practitioner", "Practitioner"
        ASYE = "asye", "Newly qualified (ASYE)"
        STUDENT = "student", "Student"
        INDEPENDENT = "independent", "IRO, CP chair or LADO"
        MANAGER = "manager", "Manager"
        SENIOR_MANAGER = "senior_manager", "Senior manager"
        SUPPORT = "support", "Business support or administration"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200, unique=True, validators=[PlainTextValidator("Name")])
    category = models.CharField(max_length=30, choices=Category.choices)
    holds_cases = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class StaffProfile(models.Model):
    class EmploymentType(models.TextChoices):
        PERMANENT = "permanent", "Permanent"
        PART_TIME = "part_time", "Part-time"
        AGENCY = "agency", "Agency"
        FIXED_TERM = "fixed_term", "Fixed-term"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="profile"
    )
    job_role = models.ForeignKey(JobRole, on_delete=models.PROTECT, related_name="staff")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="staff")
    start_date = models.DateField()
    qualified_date = models.DateField(null=True, blank=True)
    asye_start_date = models.DateField("ASYE start date", null=True, blank=True)
    is_student = models.BooleanField(default=False)
    employment_type = models.CharField(
        max_length=20, choices=EmploymentType.choices, default=EmploymentType.PERMANENT
    )
    probation_end_date = models.DateField(null=True, blank=True)
    leaving_date = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # F3: a student moves from weekly to fortnightly supervision on a day agreed with the
    # practice educator; until it is recorded, weekly runs on.
    fortnightly_from = models.DateField(
        "fortnightly supervision from",
        null=True,
        blank=True,
        help_text="For a student: the date agreed with the practice educator (F3)",
    )
    # The next moment this person's due items need looking at: recomputed by the scheduled
    # job, and set to now by every write that changes a fact, so a tick reads only these.
    next_check_at = models.DateTimeField(null=True, blank=True)
    # When the profile last changed, for the API's incremental refresh (`updated_since`).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # The day the next formal supervision falls due (F1-F7), as the job judged it when it set
    # next_check_at: nothing can move it before then without a write, which empties
    # next_check_at. So it holds while next_check_at is in the future, and the home page reads
    # it rather than the person's history (oversight.reports.home).
    session_due_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["user__full_name"]
        indexes = [
            # The job's order (oversight.flags.scheduled): an idle tick probes both ends, and
            # each batch carries on from the last row of the one before, never rereading it.
            models.Index(fields=["next_check_at", "id"], name="staffprofile_next_check"),
        ]

    def __str__(self):
        return f"{self.user} ({self.job_role})"

    def save(self, *args, **kwargs):
        super().save(*args, **_with_updated_at(kwargs))

    def clean(self):
        if self.leaving_date and self.start_date and self.leaving_date < self.start_date:
            raise ValidationError(
                {"leaving_date": "Enter a leaving date on or after the start date."}
            )


class SupervisoryRelationship(models.Model):
    class Kind(models.TextChoices):
        LINE = "line", "Line supervision"
        DESIGNATED = "designated", "Designated supervisor"
        PRACTICE_EDUCATOR = "practice_educator", "Practice educator"
        TEMPORARY_COVER = "temporary_cover", "Temporary cover"

    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervising"
    )
    supervisee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervised_by"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.LINE)
    starts_on = models.DateField()
    # The last day of the relationship, inclusive; empty while it continues.
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the relationship last changed (it ended, say), for the API's `updated_since`.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["supervisee"],
                condition=Q(kind="line", ends_on__isnull=True),
                name="one_open_line_relationship_per_supervisee",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="relationship_ends_on_or_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("supervisee")),
                name="relationship_not_with_self",
            ),
        ]
        indexes = [models.Index(fields=["supervisor", "ends_on"])]

    def __str__(self):
        return f"{self.supervisor} supervises {self.supervisee} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        super().save(*args, **_with_updated_at(kwargs))

    def clean(self):
        if self.kind != self.Kind.LINE or not (self.supervisee_id and self.starts_on):
            return
        overlapping = (
            SupervisoryRelationship.objects.filter(
                supervisee_id=self.supervisee_id, kind=self.Kind.LINE
            )
            .exclude(pk=self.pk)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=self.starts_on))
        )
        if self.ends_on:
            overlapping = overlapping.filter(starts_on__lte=self.ends_on)
        if overlapping.exists():
            raise ValidationError(
                {"starts_on": "This person already has a line supervisor on these dates."}
            )

    def is_active_on(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class AccessGrant(models.Model):
    """Read access to one person's file for a period, given to someone outside the line:
    a quality-assurance auditor, an inspector, or exceptional access approved by a manager.

    The grant itself is a django-guardian object permission; this row holds its period, its
    reason and who gave it, and the access layer honours the permission only inside the period.
    """

    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_granted_to"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    includes_personal_sections = models.BooleanField(
        default=False,
        help_text="Personal and wellbeing sections stay hidden unless this is ticked.",
    )
    reason = models.CharField(max_length=500)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="grant_ends_on_or_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.grantee} may read {self.subject}'s file until {self.ends_on:%-d %B %Y}"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "Enter an end date on or after the start date."})


class SupervisorAbsence(models.Model):
    """A spell a supervisor is away (rule S5): past a pack's limit, the people they line
    supervise need other supervision arranged (a temporary cover relationship). Only the fact
    and a word on why: never health details, which belong to the supervisor's own file."""

    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="absences"
    )
    starts_on = models.DateField()
    # The last day away, inclusive; empty while the supervisor is still away.
    ends_on = models.DateField(null=True, blank=True)
    reason = models.CharField(
        max_length=100,
        blank=True,
        help_text="A word or two, such as annual leave, training or secondment. No health details.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="absence_ends_on_or_after_start",
            ),
        ]
        indexes = [models.Index(fields=["supervisor", "starts_on"])]

    def __str__(self):
        return f"{self.supervisor} away from {self.starts_on:%-d %B %Y}"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(
                {"ends_on": "Enter a return date on or after the first day away."}
            )
