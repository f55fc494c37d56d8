"""What the write routes' tests share: a small feed within Team A, and calls with a token."""

import csv
import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api.models import Scope
from tests.api.helpers import bearer, service_account, token_for

IMPORTS = "/api/v1/imports/"


def leaving_url(person) -> str:
    return f"/api/v1/staff/{person.pk}/leaving/"


def supervisor_url(person) -> str:
    return f"/api/v1/staff/{person.pk}/supervisor/"


def writer(world, units=("service",), scopes=(Scope.WRITE_IMPORTS,), name="HR feed") -> str:
    """A token of a service account with `scopes` over `units` of the world."""
    account = service_account(
        world.admin, [world.units[u] for u in units], scopes=list(scopes), name=name
    )
    return token_for(account, world.admin)


def feed(world) -> dict[str, list[dict]]:
    """A new starter in Team A, supervised by Team A's supervisor: rows as the API's JSON."""
    team = world.units["team"].code
    return {
        "staff.csv": [
            {
                "email": "sam.lee@example.org",
                "full_name": "Sam Lee",
                "job_role": "social-worker",
                "unit_code": team,
                "start_date": "2026-03-02",
            },
            {
                "email": world.supervisee.email,
                "full_name": "Supervisee Renamed",
                "job_role": "social-worker",
                "unit_code": team,
                "start_date": world.supervisee.profile.start_date.isoformat(),
            },
        ],
        "relationships.csv": [
            {
                "supervisor_email": world.supervisor.email,
                "supervisee_email": "sam.lee@example.org",
                "kind": "line",
                "starts_on": "2026-03-02",
            }
        ],
    }


def as_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer_ = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer_.writeheader()
    writer_.writerows(rows)
    return out.getvalue().encode("utf-8")


def post_json(token: str | None, body, url=IMPORTS, client=None):
    headers = bearer(token) if token else {}
    return (client or Client()).post(
        url, json.dumps(body), content_type="application/json", **headers
    )


def post_csv(token: str, files: dict[str, list[dict]], *, dry_run: bool):
    uploads = [SimpleUploadedFile(name, as_csv(rows), "text/csv") for name, rows in files.items()]
    return Client().post(
        IMPORTS, {"files": uploads, "dry_run": "true" if dry_run else "false"}, **bearer(token)
    )
