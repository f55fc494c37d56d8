from django.core.exceptions import PermissionDenied
from django.http import Http404

from access.refusals import subject_of_arguments
from supervision.organisation import audit


class AuditRefusalsMiddleware:
    """Every refusal a view raises is in the audit log, even where the view did not write one
    itself (the access layer does, and marks the request so it is not written twice), naming
    the member of staff the URL points at when there is one, so their access log shows it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PermissionDenied | Http404):
            return None
        if getattr(request, "_refusal_audited", False):
            return None
        if not getattr(request, "user", None) or not request.user.is_authenticated:
            return None
        match = request.resolver_match
        audit.record(
            audit.AuditAction.DENIED,
            request=request,
            object_type="page",
            object_id=((match.url_name or "") if match else "")[:64],
            subject=subject_of_arguments(match.kwargs) if match else None,
            detail={
                "answer": 403 if isinstance(exception, PermissionDenied) else 404,
                "arguments": {k: str(v)[:64] for k, v in (match.kwargs if match else {}).items()},
            },
        )
        return None
