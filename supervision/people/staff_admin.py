"""Adding and changing people and units from the product's own pages (Organisation), for the
system administrator. The Django admin is for technical settings; these are the writes an
administrator makes every week, each in one transaction with its audit entry, and each
telling the due-date job to look at the people it touches."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from supervision.models import JobRole, StaffProfile, SupervisoryRelationship, Unit, User
from supervision.organisation import audit
from supervision.people.passwords import Why, set_password_link_queue

PERSON_FIELDS = (
    "job_role",
    "unit",
    "start_date",
    "qualified_date",
    "asye_start_date",
    "is_student",
    "employment_type",
    "probation_end_date",
)


def _audit(request, by, object_type, object_id, subject, change, **detail):
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=object_type,
        object_id=object_id,
        subject=subject,
        detail={"change": change, **detail},
    )


def _check_email(email: str, person: User | None = None) -> str:
    email = email.strip().lower()
    other = User.objects.filter(email__iexact=email).exclude(pk=getattr(person, "pk", None))
    if taken := other.first():
        raise ValidationError({"email": f"{taken.full_name} already has the email address {email}"})
    return email


def _check_dates(start_date: date, others: dict) -> None:
    names = {
        "qualified_date": "qualified",
        "asye_start_date": "started their ASYE",
        "probation_end_date": "probation ends",
    }
    errors = {}
    if others.get("probation_end_date") and others["probation_end_date"] < start_date:
        errors["probation_end_date"] = (
            f"The day {names['probation_end_date']} must be on or after the start date"
        )
    asye, qualified = others.get("asye_start_date"), others.get("qualified_date")
    if asye and qualified and asye < qualified:
        errors["asye_start_date"] = "The ASYE starts on or after the day they qualified"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def person_add(
    *,
    full_name: str,
    email: str,
    job_role: JobRole,
    unit: Unit,
    start_date: date,
    line_supervisor: User | None = None,
    send_link: bool = True,
    by: User,
    request=None,
    **profile,
) -> User:
    """A new member of staff, with their line supervisor from their first day if known, and
    (by default) an email with a link to set their password. Saving the profile marks them
    for the due-date job (oversight.flags.signals)."""
    email = _check_email(email)
    _check_dates(start_date, profile)
    if (
        line_supervisor is not None
        and not StaffProfile.objects.filter(user=line_supervisor, is_active=True).exists()
    ):
        raise ValidationError({"line_supervisor": "Choose someone who works here now"})
    person = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
    StaffProfile.objects.create(
        user=person,
        job_role=job_role,
        unit=unit,
        start_date=start_date,
        **{name: value for name, value in profile.items() if name in PERSON_FIELDS},
    )
    if line_supervisor is not None:
        SupervisoryRelationship.objects.create(
            supervisor=line_supervisor,
            supervisee=person,
            kind=SupervisoryRelationship.Kind.LINE,
            starts_on=start_date,
        )
    _audit(
        request,
        by,
        "staff",
        person.pk,
        person,
        "person added",
        unit=unit.pk,
        job_role=job_role.code,
        line_supervisor=getattr(line_supervisor, "pk", None),
    )
    if send_link:
        set_password_link_queue(person, why=Why.NEW_ACCOUNT, by=by, request=request)
    return person


@transaction.atomic
def person_update(*, person: User, full_name: str, email: str, by: User, request=None, **profile):
    """Change someone's name, email or employment details. Their records keep the names they
    were signed with; their due dates are worked out again from the new details."""
    profile_row = StaffProfile.objects.select_for_update().get(user=person)
    email = _check_email(email, person)
    start_date = profile.get("start_date", profile_row.start_date)
    _check_dates(start_date, profile)
    changed = []
    if person.full_name != full_name.strip():
        person.full_name = full_name.strip()
        changed.append("full_name")
    if person.email != email:
        person.email = email
        changed.append("email")
    if changed:
        person.save(update_fields=changed)
    for name in PERSON_FIELDS:
        if name in profile and getattr(profile_row, name) != profile[name]:
            setattr(profile_row, name, profile[name])
            changed.append(name)
    profile_row.save()
    _audit(request, by, "staff", person.pk, person, "person changed", fields=changed)
    return changed


def _check_unit(unit: Unit) -> None:
    try:
        unit.full_clean(exclude=["path"])
    except ValidationError as error:
        raise ValidationError(
            {
                field: [m.replace("Unit with this Code", "A unit with this code") for m in msgs]
                for field, msgs in error.message_dict.items()
            }
        ) from error


@transaction.atomic
def unit_add(
    *, name: str, code: str, kind: str, parent: Unit | None, manager: User | None, by, request=None
) -> Unit:
    unit = Unit(name=name.strip(), code=code.strip(), kind=kind, parent=parent, manager=manager)
    _check_unit(unit)
    unit.save()
    _audit(request, by, "unit", unit.pk, None, "unit added", parent=getattr(parent, "pk", None))
    return unit


@transaction.atomic
def unit_update(
    *, unit: Unit, name: str, code: str, kind: str, parent: Unit | None, manager, by, request=None
) -> list[str]:
    """Rename a unit, move it under another (everything below moves with it) or change its
    manager, whose reach over the unit's files begins or ends now."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = {"name": unit.name, "code": unit.code, "kind": unit.kind}
    before |= {"parent": unit.parent_id, "manager": unit.manager_id}
    unit.name, unit.code, unit.kind, unit.parent, unit.manager = (
        name.strip(),
        code.strip(),
        kind,
        parent,
        manager,
    )
    _check_unit(unit)
    unit.save()
    after = {"name": unit.name, "code": unit.code, "kind": unit.kind}
    after |= {"parent": unit.parent_id, "manager": unit.manager_id}
    changed = [field for field in before if before[field] != after[field]]
    # Who is overdue in whose unit, and who oversees them, may have changed.
    # (NULL is "look at them on the next tick", as oversight.flags.signals marks a changed fact.)
    StaffProfile.objects.filter(unit__path__startswith=unit.path).update(next_check_at=None)
    _audit(request, by, "unit", unit.pk, None, "unit changed", fields=changed)
    return changed
