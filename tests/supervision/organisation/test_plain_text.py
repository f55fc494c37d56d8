"""Hidden control characters (a NUL byte above all: PostgreSQL cannot store one) are refused
wherever text comes in, with a message naming the field, and nothing is saved; a line break in
a name is refused in forms, in the Django admin and at import."""

import csv
import html
import importlib
import io
import pkgutil
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse

from agreements.models import SupervisionAgreement
from casework.models import Child
from oversight.records_management import importing
from supervision.models import (
    Action,
    AgendaItem,
    Decision,
    Disagreement,
    RecordSection,
    SupervisionRecord,
    Unit,
    User,
)
from supervision.organisation.plain_text import HIDDEN, LINE_BREAK, PlainTextChecks, problem

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
NUL, UNIT_SEPARATOR = "\x00", "\x1f"


@pytest.mark.parametrize(
    ("text", "one_line", "expected"),
    [
        ("Plain words, and ‘quotes’ – dashes", True, None),
        ("Line one\nline two\r\n\tindented", False, None),
        ("a\x00b", False, HIDDEN),
        ("a\x08b", False, HIDDEN),
        ("a\x0bb", False, HIDDEN),
        ("a\x0cb", False, HIDDEN),
        ("a\x1bb", False, HIDDEN),
        ("a\x7fb", False, HIDDEN),
        ("a\x00b", True, HIDDEN),
        ("a\tb", True, HIDDEN),
        ("Ann\nSmith", True, LINE_BREAK),
        ("Ann\rSmith", True, LINE_BREAK),
    ],
)
def test_what_counts_as_a_problem(text, one_line, expected):
    assert problem(text, one_line=one_line) == expected


APPS = ("supervision", "agreements", "casework", "oversight")


def _project_forms():
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in info.name and ".management" not in info.name:
                importlib.import_module(info.name)
    seen, todo = set(), [forms.BaseForm]
    while todo:
        for cls in todo.pop().__subclasses__():
            if cls not in seen:
                seen.add(cls)
                todo.append(cls)
    return {cls for cls in seen if cls.__module__.split(".")[0] in APPS}


# The Django admin's forms for people: the names on the model refuse control characters and
# line breaks themselves (see test_the_admin_refuses_a_line_break_in_a_name).
ADMIN_FORMS = {"supervision.admin.UserAddForm", "supervision.admin.UserEditForm"}


def test_every_form_in_the_project_refuses_control_characters():
    missing = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _project_forms()
        if not issubclass(cls, PlainTextChecks)
        and f"{cls.__module__}.{cls.__qualname__}" not in ADMIN_FORMS
    )
    assert not missing, (
        f"Base these on supervision.organisation.plain_text.PlainTextForm: {missing}"
    )


# --- Through the pages ------------------------------------------------------------------------


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = NOW


def _version(world):
    return SupervisionRecord.objects.get(pk=world.record.pk).version


def _section(world):
    return RecordSection.objects.get(record=world.record, template_section__key="reflection")


# Each: who posts, the URL, what is posted (BAD marks the text under test), the message's
# field name, and what must be unchanged afterwards.
BAD = object()
CASES = {
    "agenda item": (
        "supervisor",
        lambda w: reverse("agenda-add", args=[w.session.pk]),
        {"text": BAD},
        None,  # the session page says what is wrong in a banner
        lambda w: AgendaItem.objects.count(),
    ),
    "record section": (
        "supervisor",
        lambda w: reverse("record-section", args=[w.session.pk, "reflection"]),
        lambda w: {"text": BAD, "version": _version(w), "completed": "on"},
        lambda w: _section(w).template_section.heading,
        lambda w: _section(w).text,
    ),
    "decision": (
        "supervisor",
        lambda w: reverse("decision-add", args=[w.session.pk]),
        {"decision": BAD, "reasons": "Because"},
        "Decision",
        lambda w: Decision.objects.count(),
    ),
    "action owner's name": (
        "supervisor",
        lambda w: reverse("action-add", args=[w.session.pk]),
        {
            "description": "Book the course",
            "owner": "other",
            "owner_name": BAD,
            "due_date_0": "20",
            "due_date_1": "3",
            "due_date_2": "2026",
        },
        "Name, if someone else",
        lambda w: Action.objects.count(),
    ),
    "disagreement": (
        "supervisee",
        lambda w: reverse("disagreement-add", args=[w.session.pk]),
        {"subject": BAD, "view": "Too many cases"},
        "What you disagree about",
        lambda w: Disagreement.objects.count(),
    ),
    "agreement (a model form)": (
        "supervisor",
        lambda w: reverse("agreement-edit", args=[w.agreement.pk]),
        lambda w: {
            **{f: getattr(w.agreement, f) or "" for f in SupervisionAgreement.TEXT_SECTIONS},
            SupervisionAgreement.TEXT_SECTIONS[0]: BAD,
        },
        None,  # the label is the model field's; the test below looks for the start only
        lambda w: SupervisionAgreement.objects.get(pk=w.agreement.pk).updated_at,
    ),
    "new child": (
        "supervisor",
        lambda w: reverse("child-new"),
        {"reference": "NS300003", "initials": BAD, "service": "social_work"},
        "Initials",
        lambda w: Child.objects.count(),
    ),
    "reason to discuss a child": (
        "supervisor",
        lambda w: reverse("caseload-discuss", args=[w.supervisee.pk]),
        lambda w: {"discuss": [w.child.pk], f"reason-{w.child.pk}": BAD},
        "The reason for NS100001",
        lambda w: Child.objects.get(pk=w.child.pk).discuss_next_reason,
    ),
}


def _post(client, world, case, bad):
    who, url, data, name, unchanged = CASES[case]
    data = data(world) if callable(data) else data
    name = name(world) if callable(name) else name
    data = {key: (bad if value is BAD else value) for key, value in data.items()}
    client.force_login(world.people[who])
    before = unchanged(world)
    with time_machine.travel(NOW, tick=False):
        response = client.post(url(world), data)
    return response, name, before, unchanged(world)


@pytest.mark.parametrize("bad", [f"a{NUL}b", f"a{UNIT_SEPARATOR}b"], ids=["NUL", "US"])
@pytest.mark.parametrize("case", CASES)
def test_a_control_character_is_a_field_error_and_nothing_is_saved(client, world, case, bad):
    response, name, before, after = _post(client, world, case, bad)

    assert after == before
    if case == "agenda item":
        # The agenda form sits on the session page: the redirect's banner says what is wrong.
        assert response.status_code == 302
        banner = html.unescape(client.get(response["Location"]).content.decode())
        assert "must not contain hidden control characters, such as a null byte" in banner
        return
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "must not contain hidden control characters, such as a null byte" in page
    if name:
        assert f"{name} must not contain hidden control characters" in page


@pytest.mark.parametrize(
    "case", ["action owner's name", "disagreement", "new child", "reason to discuss a child"]
)
def test_a_line_break_in_one_line_text_is_a_field_error(client, world, case):
    response, name, before, after = _post(client, world, case, "Ann\nSmith")

    assert after == before
    assert response.status_code == 200
    assert f"{name} must be on one line" in html.unescape(response.content.decode())


def test_line_breaks_and_tabs_are_kept_in_multi_line_text(client, world):
    response, _, _, after = _post(client, world, "record section", "One\r\n\tTwo")

    assert response.status_code == 302
    assert after == "One\r\n\tTwo"  # as a browser sends a textarea's line breaks


@pytest.mark.parametrize("bad", [f"a{NUL}b", f"a{UNIT_SEPARATOR}b"], ids=["NUL", "US"])
def test_autosave_refuses_a_control_character_with_a_message(client, world, bad):
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("record-section-autosave", args=[world.session.pk, "reflection"]),
            {"text": bad, "version": _version(world)},
        )

    assert response.status_code == 400
    heading = _section(world).template_section.heading
    assert response.json() == {
        "error": f"{heading} must not contain hidden control characters, such as a null byte"
    }
    assert _section(world).text == ""


def test_autosave_keeps_line_breaks(client, world):
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("record-section-autosave", args=[world.session.pk, "reflection"]),
            {"text": "One\nTwo", "version": _version(world)},
        )

    assert response.status_code == 200
    assert _section(world).text == "One\nTwo"


def test_sign_in_refuses_a_control_character_in_the_email_address(client, world):
    response = client.post(
        reverse("sign-in"), {"login": f"supervisor@example.org{NUL}", "password": "x"}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# --- Names on models: the Django admin, model forms and the import -----------------------------


def test_a_line_break_in_a_name_is_refused_on_the_model():
    person = User(email="ann@example.org", full_name="Ann\nSmith")
    with pytest.raises(ValidationError) as refused:
        person.full_clean(exclude=["password"])
    assert refused.value.message_dict["full_name"] == [
        "Full name must be on one line, without line breaks"
    ]


def test_the_admin_refuses_a_line_break_in_a_name(world):
    request = RequestFactory().post("/")
    request.user = world.admin
    unit = world.units["team"]
    form_class = admin.site._registry[Unit].get_form(request, unit)
    data = {"name": "Team\r\nA", "code": unit.code, "kind": unit.kind}
    form = form_class(data, instance=unit)

    assert not form.is_valid()
    assert form.errors["name"] == ["Name must be on one line, without line breaks"]


EXAMPLE = Path(settings.BASE_DIR) / "examples" / "import"


def _edit(folder, name, row, column, value):
    path = folder / name
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


@pytest.mark.parametrize(
    ("name", "row", "column", "value", "expected"),
    [
        (
            "staff.csv",
            3,
            "full_name",
            "Owen\nPrice",
            "staff.csv, row 3, column full_name: This value must be on one line",
        ),
        (
            "units.csv",
            2,
            "name",
            f"Westmoor{NUL}",
            "units.csv, row 2, column name: This value must not contain hidden control",
        ),
        (
            "cases.csv",
            2,
            "initials",
            "A\r\nB",
            "cases.csv, row 2, column initials: This value must be on one line",
        ),
        (
            "case_supervisions.csv",
            3,
            "decision",
            f"Continue{UNIT_SEPARATOR} the plan",
            "case_supervisions.csv, row 3, column decision: This value must not contain hidden",
        ),
    ],
)
def test_the_import_refuses_a_control_character_naming_the_row_and_column(
    tmp_path, name, row, column, value, expected
):
    folder = tmp_path / "import"
    shutil.copytree(EXAMPLE, folder)
    _edit(folder, name, row, column, value)
    err = io.StringIO()

    with time_machine.travel(NOW, tick=False), pytest.raises(CommandError, match="nothing was"):
        call_command("import_data", str(folder), stdout=io.StringIO(), stderr=err)

    assert any(line.startswith(expected) for line in err.getvalue().splitlines()), err.getvalue()
    assert not User.objects.exists()
    assert not Unit.objects.exists()


def test_the_import_keeps_line_breaks_in_prose_columns():
    data = (
        b"reference,discussed_at,author_email,decision,reasons\n"
        b'WM1,2026-02-10 14:00,a@example.org,"Continue\r\nthe plan","One\n\ttwo"\n'
    )

    table, problems = importing.parse_table("case_supervisions.csv", data)

    assert problems == []
    assert table.rows[0][1]["decision"] == "Continue\r\nthe plan"


# --- Dates that cannot exist -----------------------------------------------------------------


@pytest.mark.parametrize(
    "day,month,year",
    [("31", "4", "2026"), ("29", "2", "2027"), ("1", "13", "2026"), ("1", "1", "20261")],
)
def test_a_date_that_cannot_exist_is_named_and_never_pythons_words(client, world, day, month, year):
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("plan-sessions", args=[world.supervisee.pk]),
            {
                "session_type": "individual",
                "first_date_0": day,
                "first_date_1": month,
                "first_date_2": year,
                "start_time": "10:00",
                "duration_minutes": "60",
                "frequency": "monthly",
                "mode": "in_person",
            },
        )
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "out of range" not in page
    assert "Date of the first session must be a real date" in page


def test_every_date_field_is_the_projects_own():
    """No form takes GOV.UK's date input straight from crispy-forms-gds: only
    supervision/web/date_input.py may, so a date that cannot exist always gets the pattern's
    message."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent.parent.parent
    offenders = [
        str(path.relative_to(root))
        for package in ("supervision", "agreements", "casework", "oversight", "access")
        for path in (root / package).rglob("*.py")
        if "crispy_forms_gds.fields import DateInputField" in path.read_text()
        or "gds.DateInputField" in path.read_text()
        and path.name != "date_input.py"
    ]
    assert offenders == []
