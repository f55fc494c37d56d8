"""What every route's description shares: its errors, with an example of each, and the
query parameters lists have in common."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from api.framework.problems import PROBLEM_TYPE, TITLES, ProblemSerializer

_DETAILS = {
    400: ("A query parameter or field is not valid; `errors` names it.", "Enter a valid date."),
    401: (
        "No token, or one that is unknown, expired or revoked.",
        "This token has expired.",
    ),
    403: (
        "The token's service account lacks the scope this route needs.",
        "This token's service account may not do this: it needs the scope read_people.",
    ),
    404: (
        "No such row, or one outside the token's units (which is not revealed).",
        "Not found.",
    ),
    429: (
        "Too many calls with this token; `Retry-After` says when to try again.",
        "Request was throttled. Expected available in 12 seconds.",
    ),
}


def errors(*codes: int) -> dict:
    """Problem responses for `codes`, each described and with an example."""
    out = {}
    for code in codes:
        description, detail = _DETAILS[code]
        example = {
            "type": "about:blank",
            "title": TITLES[code],
            "status": code,
            "detail": detail,
        }
        if code == 400:
            example["errors"] = {"updated_since": [detail]}
        out[(code, PROBLEM_TYPE)] = OpenApiResponse(
            ProblemSerializer,
            description=description,
            examples=[OpenApiExample(TITLES[code], value=example, response_only=True)],
        )
    return out


LIST_ERRORS = (400, 401, 403, 429)
ITEM_ERRORS = (401, 403, 404, 429)

UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description=(
        "Only rows changed at or after this moment (ISO 8601 with a time zone, such as "
        "2026-12-01T02:00:00Z), for an incremental refresh."
    ),
)
