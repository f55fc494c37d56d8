"""Reach is decided in the access package and nowhere else.

An AST check over every view module of the project: a view asks `access` who may see what;
it does not work it out itself. What counts as working it out:
- importing a private helper (`_name`) from another module, or calling one through a module;
- importing what reach is built from: the relationship, grant or unit-manager models, the
  `active_on` query piece, django-guardian, or the `is_staff` flag;
- filtering a model on the signed-in user (`.filter(owner=request.user)`), or comparing the
  user's id with an object's people (`request.user.pk in (...)`), which is a reach rule;
- raising Http404 or PermissionDenied itself instead of calling `access.refusals.refuse`
  (which audits the refusal with its subject).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("supervision", "agreements", "casework", "oversight")
VIEW_MODULES = sorted(
    path
    for app in APPS
    for path in (ROOT / app).rglob("views*.py")
    if "migrations" not in path.parts
)
# What reach is made of: a view that imports one of these is deciding reach itself.
REACH_MATERIAL = {
    "supervision.models": {"AccessGrant", "SupervisoryRelationship"},
    "supervision.organisation.roles": {"active_on"},
}
REACH_MODULES = ("guardian",)
USER_NAMES = {"user", "request.user"}


def _source(node) -> str:
    return ast.unparse(node)


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []

    def where(node):
        return f"{path.relative_to(ROOT)}:{node.lineno}"

    imported_modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.startswith(REACH_MODULES):
                found.append(f"{where(node)} imports {module}")
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{where(node)} imports the private {alias.name} from {module}")
                if alias.name in REACH_MATERIAL.get(module.lstrip("."), set()) or (
                    node.level == 1
                    and path.parent.name == "supervision"
                    and alias.name in REACH_MATERIAL.get(f"supervision.{module}", set())
                ):
                    found.append(f"{where(node)} imports {alias.name}, which reach is made of")
                imported_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(REACH_MODULES):
                    found.append(f"{where(node)} imports {alias.name}")
                imported_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Attribute):
            if node.attr == "is_staff":
                found.append(f"{where(node)} reads is_staff ({_source(node)})")
            if (
                node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr != "_meta"
                and isinstance(node.value, ast.Name)
                and node.value.id in imported_modules
            ):
                found.append(f"{where(node)} calls the private {_source(node)}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in {"filter", "exclude", "get"}:
                for keyword in node.keywords:
                    if _source(keyword.value) in USER_NAMES:
                        found.append(f"{where(node)} filters on the user ({_source(node)[:80]})")
            if isinstance(func, ast.Name) and func.id in {"Http404", "PermissionDenied"}:
                found.append(f"{where(node)} refuses without access.refusals ({func.id})")
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name):
            if node.exc.id in {"Http404", "PermissionDenied"}:
                found.append(f"{where(node)} refuses without access.refusals ({node.exc.id})")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(
                _source(side) in {"request.user.pk", "user.pk", "request.user.id"} for side in sides
            ):
                found.append(
                    f"{where(node)} compares the user with an object ({_source(node)[:80]})"
                )
    return found


def test_there_are_view_modules_to_check():
    assert len(VIEW_MODULES) > 20


@pytest.mark.parametrize("path", VIEW_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_views_leave_reach_to_the_access_package(path):
    problems = _problems(path)
    assert not problems, "Ask the access package instead:\n" + "\n".join(problems)


def test_the_check_catches_a_view_that_decides_reach(tmp_path):
    view = tmp_path / "views_bad.py"
    view.write_text(
        "from django.http import Http404\n"
        "from supervision.models import SupervisoryRelationship\n"
        "from supervision.people.services import _helper\n"
        "def page(request, pk):\n"
        "    if request.user.is_staff:\n"
        "        raise Http404\n"
        "    rows = Thing.objects.filter(owner=request.user)\n"
        "    if request.user.pk in (rows[0].a_id,):\n"
        "        pass\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        problems = _problems(view)
    finally:
        ROOT = saved
    kinds = " ".join(problems)
    for expected in (
        "private _helper",
        "SupervisoryRelationship",
        "is_staff",
        "Http404",
        "filters on the user",
        "compares the user",
    ):
        assert expected in kinds, expected
