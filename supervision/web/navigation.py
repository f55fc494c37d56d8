from dataclasses import dataclass

from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse

from access.roles import roles_for


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


class Places(dict):
    """The site's URLs by name, each reversed the first time it is asked for and kept for the
    URLconf and script prefix it was reversed under (`places`): every page's navigation and
    header and footer links would otherwise reverse about a dozen names a request. A template
    reads them by attribute (`places.sign_out`): a hyphen is written as an underscore there.
    A name that does not reverse raises NoReverseMatch each time, as {% url %} would."""

    ALIASES = {"sign_out": "sign-out", "keep_alive": "keep-alive"}
    # A person's id in place of theirs: one reverse() for a URL of anyone's, then numbered.
    MARK = 987654321

    def __missing__(self, name: str) -> str:
        url = self[name] = reverse(self.ALIASES.get(name, name))
        return url

    def offered(self, name: str, pk: int | None = None) -> str | None:
        """reverse(name) or reverse(name, args=[pk]), or None for a page not built yet."""
        if pk is not None and not isinstance(pk, int):  # what reverse() makes of it
            return _offered(name, [pk])
        key = (name, pk is None)
        if key not in self:
            if pk is None:
                self[key] = _offered(name, [])
            else:
                url = _offered(name, [self.MARK])
                self[key] = url if url is None else url.partition(str(self.MARK))[::2]
        found = self[key]
        return found if found is None or pk is None else f"{found[0]}{pk}{found[1]}"


def _offered(name: str, args: list) -> str | None:
    try:
        return reverse(name, args=args)
    except Exception:  # noqa: BLE001 - a page not built yet is simply not offered
        return None


_PLACES: dict = {}


def places() -> Places:
    """The `Places` of the URLconf and script prefix in use (either may change per request)."""
    key = (get_resolver(get_urlconf()), get_script_prefix())
    found = _PLACES.get(key)
    if found is None:
        if len(_PLACES) > 16:  # URLconfs replaced in tests: the old ones are never asked again
            _PLACES.clear()
        found = _PLACES[key] = Places()
    return found


def navigation_for(request, links: Places | None = None) -> list[NavItem]:
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
    links = links if links is not None else places()
    path = request.path
    items = []
    for label, name, allowed in entries:
        if not allowed:
            continue
        url = links.offered(*name) if isinstance(name, tuple) else links.offered(name)
        if url is None:
            continue
        active = path == url or (url != "/" and path.startswith(url))
        items.append(NavItem(label, url, active))
    return items
