from dataclasses import dataclass

from django.urls import reverse

from access.roles import roles_for


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


def navigation_for(request) -> list[NavItem]:
    """The service navigation, by role: each person sees only the places they can use."""
    user = request.user
    if not user.is_authenticated:
        return []
    roles = roles_for(user)
    # The supervisee's own places; a senior manager reaches theirs from the home page, so
    # that every role's navigation fits one row.
    own = roles.supervisee and not roles.senior_manager
    entries = [("Home", "home", True)]
    entries += [
        ("My caseload", "caseload-mine", roles.holds_cases),
        ("My supervision file", ("staff-file", user.pk), own),
        ("Give feedback", "feedback", own and roles.supervised),
        ("Find a child", "child-find", roles.supervisor or roles.senior_manager),
        ("My team", "my-team", roles.supervisor),
        ("Organisation", "organisation", roles.system_admin),
        ("Retention", "retention-candidates", roles.system_admin),
        ("Policy", "policy-packs", roles.system_admin),
        ("Import data", "import-upload", roles.system_admin),
        ("API access", "api-service-accounts", roles.system_admin),
        ("Dashboard", "dashboard", roles.senior_manager),
        ("Quality", "quality-samples", roles.senior_manager or roles.auditor),
        ("Access log", "audit-log", roles.senior_manager or roles.auditor),
        ("Feedback", "feedback-report", roles.senior_manager),
        (
            "Subject access requests",
            "subject-access-requests",
            roles.information_governance and not roles.system_admin,
        ),
    ]
    items = []
    for label, name, allowed in entries:
        if not allowed:
            continue
        try:
            url = reverse(name[0], args=name[1:]) if isinstance(name, tuple) else reverse(name)
        except Exception:  # noqa: BLE001, S112 - a page not built yet is simply not offered
            continue
        active = request.path == url or (url != "/" and request.path.startswith(url))
        items.append(NavItem(label, url, active))
    return items
