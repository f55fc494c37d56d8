import math
import statistics
import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oversight.models import Flag
from supervision.accounts import policy
from supervision.models import StaffProfile, Unit, User


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date: {text!r} is not a date such as 2026-03-05") from None


def p95(values: list[float]) -> float:
    """The 95th percentile, nearest rank: of 20 timings, the 19th fastest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def host() -> str:
    """A host name the settings accept, so the requests are not refused as bad hosts."""
    for allowed in settings.ALLOWED_HOSTS:
        if allowed == "*":
            return "testserver"
        if allowed:
            return f"bench{allowed}" if allowed.startswith(".") else allowed
    return "localhost"


class Command(BaseCommand):
    help = (
        "Time the dashboard in this process, as the top senior manager (the manager of the "
        "directorate with the most staff, or --as): the organisation (the top unit), its "
        "largest service, that service's largest team, the person in that team with the most "
        "flags, a list of items and that person's items. Each page is asked twice to warm up "
        "(the first may keep its closed months' summaries), counting the SQL queries of the "
        "second, then --repeat times; prints the median and 95th "
        "percentile of the time each took to answer, in milliseconds. Every answer must be "
        "200, or the command stops. Each request is audited, as any reading of the dashboard."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="timed requests a page")
        parser.add_argument("--date", type=parse_day, help="YYYY-MM-DD: the dashboard as at then")
        parser.add_argument("--as", dest="email", help="the email of the person signed in")
        parser.add_argument(
            "--measure", default="session_overdue", help="the items listed (session_overdue)"
        )
        parser.add_argument(
            "--person-measure", default="action_overdue", help="the person's items listed"
        )
        parser.add_argument(
            "--floor",
            action="store_true",
            help="beside each page, time its SQL floor: the SELECT statements the page sent, "
            "as sent, straight to the database with no Python around them (in a transaction "
            "rolled back), interleaved with the page's requests; prints both and the ratio",
        )

    def handle(self, *args, **options):
        if options["repeat"] < 1:
            raise CommandError("--repeat: at least 1")
        viewer, top = self.viewer_and_top(options["email"])
        pages = self.pages(top, options["measure"], options["person_measure"])
        query = f"?date={options['date'].isoformat()}" if options["date"] else ""
        client = Client(HTTP_HOST=host())
        client.force_login(viewer)
        # The bench times the dashboard, not signing in: a viewer who has not set up the
        # second factor their role asks for is let through as if they had.
        session = client.session
        session[policy.SETUP_NEEDED] = False
        session.save()

        start = client.get(reverse("dashboard") + query, secure=True)
        if start.status_code not in (200, 302):
            raise CommandError(f"dashboard: answered {start.status_code}, not 200 or 302")

        sent = []

        def keep(execute, sql, params, many, context):
            sent.append((sql, params))
            return execute(sql, params, many, context)

        rows = []
        for level, (what, url) in pages.items():
            # The first request of a page may count and keep the closed months' summaries
            # (oversight.reports.dashboard.summaries): what is timed and replayed is the page
            # as it is read from then on.
            self.expect_ok(level, url + query, client.get(url + query, secure=True))
            sent.clear()
            with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(keep):
                response = client.get(url + query, secure=True)
            count = len(queries)  # now: the next request clears the log it reads
            self.expect_ok(level, url + query, response)
            statements = [(sql, params) for sql, params in sent if _reads(sql)]
            timings, floor = [], []
            for _ in range(options["repeat"]):
                began = time.perf_counter()
                response = client.get(url + query, secure=True)
                timings.append((time.perf_counter() - began) * 1000)
                self.expect_ok(level, url + query, response)
                if options["floor"]:
                    floor.append(self.replay(statements))
            rows.append(
                (
                    level,
                    what,
                    statistics.median(timings),
                    p95(timings),
                    count,
                    url + query,
                    (statistics.median(floor), p95(floor)) if floor else None,
                )
            )
        self.report(viewer, top, options, rows)

    def replay(self, statements) -> float:
        """Milliseconds to send the page's reads again as they were sent, fetching every row:
        what the page costs the database, the least its figures can cost."""
        with transaction.atomic(), connection.cursor() as cursor:
            began = time.perf_counter()
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()
            spent = (time.perf_counter() - began) * 1000
            transaction.set_rollback(True)
        return spent

    def expect_ok(self, level, url, response):
        if response.status_code != 200:
            raise CommandError(f"{level}: {url} answered {response.status_code}, not 200")

    def viewer_and_top(self, email):
        if email:
            viewer = User.objects.filter(email__iexact=email).first()
            if viewer is None:
                raise CommandError(f"--as: nobody has the email {email!r}")
            units = sorted(Unit.objects.filter(manager=viewer), key=lambda u: u.path.count("/"))
            if not units:
                raise CommandError(f"--as: {email} manages no unit, so has no dashboard")
            return viewer, units[0]
        tops = Unit.objects.filter(kind=Unit.Kind.DIRECTORATE, manager__isnull=False)
        if not tops:
            raise CommandError("No directorate has a manager: build one (generate_org)")
        sized = [
            (StaffProfile.objects.filter(unit__path__startswith=u.path).count(), u) for u in tops
        ]
        top = max(sized, key=lambda pair: (pair[0], -pair[1].pk))[1]
        return top.manager, top

    def pages(self, top, measure, person_measure) -> dict:
        def largest(units):
            sized = [
                (StaffProfile.objects.filter(unit__path__startswith=u.path).count(), -u.pk, u)
                for u in units
            ]
            return max(sized, key=lambda row: row[:2])[2] if sized else None

        service = largest(Unit.objects.filter(parent=top)) or top
        team = largest(Unit.objects.filter(parent=service)) or service
        person = (
            StaffProfile.objects.filter(unit=team, leaving_date__isnull=True)
            .annotate(flags=Count("user__flags", filter=Q(user__flags__resolved_at__isnull=True)))
            .order_by("-flags", "user_id")
            .select_related("user")
            .first()
        )
        if person is None:
            raise CommandError(f"{team.name} has nobody on the staff to look at")
        pages = {
            "organisation": (top.name, reverse("dashboard-unit", kwargs={"unit_id": top.pk})),
            "service": (service.name, reverse("dashboard-unit", kwargs={"unit_id": service.pk})),
            "team": (team.name, reverse("dashboard-unit", kwargs={"unit_id": team.pk})),
            "person": (
                person.user.full_name,
                reverse("dashboard-person", kwargs={"person_id": person.user_id}),
            ),
            "items": (
                f"{measure} in {top.name}",
                reverse("dashboard-items", kwargs={"unit_id": top.pk, "measure": measure}),
            ),
            "person items": (
                f"{person_measure} of {person.user.full_name}",
                reverse(
                    "dashboard-person-items",
                    kwargs={"person_id": person.user_id, "measure": person_measure},
                ),
            ),
        }
        self.sizes = {
            "staff": StaffProfile.objects.filter(
                unit__path__startswith=top.path, leaving_date__isnull=True
            ).count(),
            "flags": Flag.objects.count(),
        }
        return pages

    def report(self, viewer, top, options, rows):
        write = self.stdout.write
        as_at = options["date"].isoformat() if options["date"] else "today"
        write(
            f"Dashboard as {viewer.email}, top unit {top.name} ({self.sizes['staff']:,} staff "
            f"in post, {self.sizes['flags']:,} flags in the database), as at {as_at}; "
            f"{options['repeat']} timed requests a page after two to warm up, in this process "
            f"({connection.vendor})"
        )
        write("")
        if options["floor"]:
            write(
                f"{'level':<14}{'p50 ms':>9}{'p95 ms':>9}{'floor p50':>11}{'floor p95':>11}"
                f"{'ratio p50':>11}{'ratio p95':>11}{'queries':>9}  page"
            )
            for level, what, median, high, queries, _url, (f50, f95) in rows:
                write(
                    f"{level:<14}{median:>9.1f}{high:>9.1f}{f50:>11.1f}{f95:>11.1f}"
                    f"{median / f50:>10.1f}×{high / f95:>10.1f}×{queries:>9}  {what}"
                )
        else:
            write(f"{'level':<14}{'median ms':>10}{'p95 ms':>10}{'queries':>9}  page")
            for level, what, median, high, queries, _url, _floor in rows:
                write(f"{level:<14}{median:>10.1f}{high:>10.1f}{queries:>9}  {what}")
        write("")
        for level, _what, _median, _high, _queries, url, _floor in rows:
            write(f"  {level:<14}{url}")


def _reads(sql: str) -> bool:
    """A statement the page read its figures with (not the session's, audit's or savepoints'
    writes), so replaying it changes nothing."""
    sql = sql.lstrip().upper()
    return sql.startswith("SELECT") and "FOR UPDATE" not in sql
