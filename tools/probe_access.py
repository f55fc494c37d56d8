"""Probe the running service over real HTTP as each demo role, as an attacker would,
so the access checks can be repeated by hand on a clean checkout.

For each role it signs in through the sign-in page, walks the pages its home links to, then
types the address of EVERY person, their sessions and access log, every session and record,
a sample of record PDFs, every child and every agreement in the database. Each must answer 200
exactly when the role reaches it by the rules in docs/rules.md, worked out by
`dump_ids` in plain queries (never by the access package it tests): anything else that
answers 200 is foreign content, reported. It also checks the administrator (no password page,
no subject-access export of anyone else) and, given --leaver, a leaver's sign-in.

Run against a server on production settings (README, "Probing access"):
    manage.py shell -c "from tools.probe_access import dump_ids; dump_ids('ids.json')"
    python tools/probe_access.py http://127.0.0.1:8765 --ids ids.json
It prints figures per role and exits 1 if anything was found.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict

PASSWORD = "demo-supervision-2026"
ROLES = {
    "social worker": "sam.okafor",
    "student": "ellie.moss",
    "team manager": "rachel.turner",
    "head of service": "priya.raman",
    "auditor": "alan.pearce",
    "information governance": "ian.gordon",
    "system administrator": "sarah.newton",
}
KINDS = {
    "person": re.compile(r"^/people/(\d+)/"),
    "session": re.compile(r"^/sessions/(\d+)/"),
    "child": re.compile(r"^/children/(\d+)/"),
    "agreement": re.compile(r"^/agreements/(\d+)/"),
}
TYPED = {
    "person": ["/people/{}/", "/people/{}/sessions/", "/people/{}/access/"],
    "session": ["/sessions/{}/", "/sessions/{}/record/"],
    "child": ["/children/{}/"],
    "agreement": ["/agreements/{}/"],
}
SKIP = re.compile(r"sign-out|/admin/|logout|\.ics$|/download|\.pdf$|\.csv|\.xlsx|\.zip|export")


def dump_ids(path: str = "ids.json") -> None:
    """Run inside `manage.py shell`: every object's id and, for each role, what it should
    reach, worked out here from the rules in docs/rules.md in plain queries, never by
    asking the access package: its own person; whom it supervises today; everyone in the units
    it manages and below; a current grant; children allocated to any of those or held by those
    units; administrators and information governance read no file."""
    from datetime import date

    from django.db.models import Q
    from django.utils import timezone

    from agreements.models import SupervisionAgreement
    from casework.models import Child
    from supervision.models import (
        AccessGrant,
        StaffProfile,
        SupervisionSession,
        SupervisoryRelationship,
        Unit,
        User,
    )

    today = timezone.localdate()

    def live(relationship) -> bool:
        ends = relationship.ends_on or date.max
        return relationship.starts_on <= today <= ends

    def below(unit_ids):
        paths = [u.path for u in Unit.objects.filter(pk__in=unit_ids)]
        return {u.pk for u in Unit.objects.all() if any(u.path.startswith(p) for p in paths)}

    expected = {}
    for role, login in ROLES.items():
        user = User.objects.get(email=f"{login}@northshire.example")
        people, children = set(), set()
        profile = StaffProfile.objects.filter(user=user).first()
        if (
            not user.is_staff
            and profile
            and not (profile.leaving_date and profile.leaving_date < today)
        ):
            people.add(user.pk)
            supervised = {
                r.supervisee_id
                for r in SupervisoryRelationship.objects.filter(supervisor=user)
                if live(r)
            }
            units = below(Unit.objects.filter(manager=user).values_list("pk", flat=True))
            under = set(
                StaffProfile.objects.filter(unit__in=units).values_list("user_id", flat=True)
            )
            granted = set(
                AccessGrant.objects.filter(
                    grantee=user, starts_on__lte=today, ends_on__gte=today, revoked_at=None
                ).values_list("subject_id", flat=True)
            )
            people |= supervised | under | granted
            workers = {user.pk} | supervised | under
            children = set(
                Child.objects.filter(
                    Q(allocated_worker__in=workers) | Q(unit__in=units)
                ).values_list("pk", flat=True)
            )
        expected[role] = {
            "person": sorted(people),
            "session": sorted(
                SupervisionSession.objects.filter(supervisee__in=people).values_list(
                    "pk", flat=True
                )
            ),
            "child": sorted(children),
            "agreement": sorted(
                SupervisionAgreement.objects.filter(
                    relationship__supervisee__in=people
                ).values_list("pk", flat=True)
            ),
        }
    data = {
        "person": {str(u.pk): u.full_name for u in User.objects.filter(profile__isnull=False)},
        "session": list(SupervisionSession.objects.values_list("pk", flat=True)),
        "child": list(Child.objects.values_list("pk", flat=True)),
        "agreement": list(SupervisionAgreement.objects.values_list("pk", flat=True)),
        "emails": {u.email.split("@")[0]: u.pk for u in User.objects.all()},
        "expected": expected,
    }
    with open(path, "w") as out:
        json.dump(data, out)


class Browser:
    """Cookies by hand: the production cookies are Secure, and behind the proxy header the
    service treats the connection as HTTPS."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.host = urllib.parse.urlsplit(self.base).netloc
        self.cookies: dict[str, str] = {}
        self.requests = 0

    def _open(self, method, path, data=None):
        headers = {
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{self.host}{path}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(  # noqa: S310 - the base is http(s) given by hand
            self.base + path, data=body, method=method, headers=headers
        )
        opener = urllib.request.build_opener(NoRedirect)
        self.requests += 1
        try:
            response = opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or value == '""':
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        text = response.read().decode("utf-8", "replace")
        return response.status, response.headers.get("Location", ""), text

    def get(self, path):
        return self._open("GET", path)

    def post(self, path, data):
        return self._open("POST", path, data)

    def sign_in(self, email) -> tuple[int, str, str]:
        _, _, page = self.get("/sign-in/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.post(
            "/sign-in/", {"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD}
        )


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def crawl(browser: Browser, limit: int) -> tuple[dict[str, set[int]], dict[str, str]]:
    seen_ids: dict[str, set[int]] = defaultdict(set)
    pages: dict[str, str] = {}
    queue = ["/"]
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path in pages:
            continue
        status, _, text = browser.get(path)
        pages[path] = text if status == 200 else ""
        for kind, pattern in KINDS.items():
            match = pattern.match(path)
            if match and status == 200:
                seen_ids[kind].add(int(match.group(1)))
        for link in re.findall(r'href="(/[^"#]*)"', text):
            link = link.replace("&amp;", "&")
            if link not in pages and not SKIP.search(link) and link.startswith("/"):
                for kind, pattern in KINDS.items():
                    match = pattern.match(link)
                    if match:
                        seen_ids[kind].add(int(match.group(1)))
                queue.append(link)
    return seen_ids, pages


def probe_role(base, role, login, ids, limit) -> dict:
    """Every typed address answers 200 exactly when the rules say the role reaches it."""
    browser = Browser(base)
    status, location, _ = browser.sign_in(f"{login}@northshire.example")
    if status != 302:
        return {"role": role, "error": f"sign-in answered {status}"}
    expected = {kind: set(pks) for kind, pks in ids["expected"][role].items()}
    _, pages = crawl(browser, limit)
    statuses = Counter()
    foreign, refused = [], []
    for kind, templates in TYPED.items():
        every = ids[kind] if isinstance(ids[kind], list) else [int(k) for k in ids[kind]]
        for pk in every:
            for template in templates:
                path = template.format(pk)
                status, _, text = browser.get(path)
                statuses[status] += 1
                if status == 200 and pk not in expected[kind]:
                    foreign.append(f"{role}: {path} answers 200 outside the role's reach")
                elif status == 404 and pk in expected[kind] and template == templates[0]:
                    refused.append(f"{role}: {path} refused (404) inside the role's reach")
    # PDFs are made on request and slow: a sample of them.
    for pk in ids["session"][:: max(1, len(ids["session"]) // 20)]:
        status, _, _ = browser.get(f"/sessions/{pk}/record.pdf")
        statuses[status] += 1
        if status == 200 and pk not in expected["session"]:
            foreign.append(f"{role}: /sessions/{pk}/record.pdf answers 200 outside its reach")
    return {
        "role": role,
        "requests": browser.requests,
        "pages crawled": len(pages),
        "statuses": dict(sorted(statuses.items())),
        "reach": {kind: len(pks) for kind, pks in expected.items()},
        "findings": foreign,
        "refused inside reach": refused,
    }


def probe_admin(base, ids) -> list[str]:
    browser = Browser(base)
    browser.sign_in("sarah.newton@northshire.example")
    found = []
    for pk in list(ids["person"])[:20]:
        status, _, _ = browser.get(f"/admin/supervision/user/{pk}/password/")
        if status == 200:
            found.append(f"admin: the password page of user {pk} opens")
        status, _, _ = browser.get(f"/people/{pk}/subject-access/")
        if status == 200 and int(pk) != ids["emails"]["sarah.newton"]:
            found.append(f"admin: the subject access page of person {pk} opens")
    return found


def probe_leaver(base, login) -> list[str]:
    """The leaver's old session and a new sign-in, after the leaving day."""
    found = []
    fresh = Browser(base)
    status, location, text = fresh.sign_in(f"{login}@northshire.example")
    if status == 302 and "/sign-in/" not in location:
        found.append(f"leaver {login}: signed in after leaving")
    elif "Your account has closed" not in text:
        found.append(f"leaver {login}: no closed-account page")
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--ids", default="ids.json")
    parser.add_argument("--pages", type=int, default=60, help="pages crawled per role")
    parser.add_argument("--leaver", help="the login of someone marked as left before today")
    args = parser.parse_args()
    with open(args.ids) as source:
        ids = json.load(source)
    started = time.monotonic()
    results = [probe_role(args.base, r, login, ids, args.pages) for r, login in ROLES.items()]
    problems = [f for r in results for f in r.get("findings", [])]
    problems += probe_admin(args.base, ids)
    if args.leaver:
        problems += probe_leaver(args.base, args.leaver)
    for result in results:
        print(json.dumps(result))
    print(
        json.dumps(
            {
                "requests": sum(r.get("requests", 0) for r in results),
                "seconds": round(time.monotonic() - started),
                "problems": problems,
            }
        )
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
