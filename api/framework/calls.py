"""The audit entry of every call made with a token: who (the service account and the token's
prefix), what (the route and method), the answer's status and how many rows it carried. Never
the rows themselves, nor the query's values."""

from django.contrib.auth.models import AnonymousUser

from api.framework.authentication import ApiClient
from supervision.organisation import audit


class _CallSeenByAudit:
    """What audit.record reads of a request (the path and the client's address), without the
    caller standing as a person: the actor of an API call is never a person."""

    user = AnonymousUser()

    def __init__(self, request):
        self.META = request.META
        self._path = request.path  # the route, not the query's values

    def get_full_path(self):
        return self._path


def record_call(request, response, *, rows: int | None) -> None:
    client = request.user if isinstance(request.user, ApiClient) else None
    token = client.token if client else getattr(request._request, "api_token", None)
    if token is None:
        return  # no token, or one that is not ours: nobody to write it against
    if response.status_code in (401, 403):
        action = audit.AuditAction.DENIED
    elif request.method in ("GET", "HEAD", "OPTIONS"):
        action = audit.AuditAction.READ
    else:
        action = audit.AuditAction.WRITE
    match = request._request.resolver_match
    audit.record(
        action,
        request=_CallSeenByAudit(request._request),
        object_type="api_call",
        object_id=((match.url_name or "") if match else "")[:64],
        detail={
            "service_account": token.account_id,
            "service_account_name": token.account.name,
            "token": token.prefix,
            "method": request.method,
            "status": response.status_code,
            **({"rows": rows} if rows is not None else {}),
        },
    )
