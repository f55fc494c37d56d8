from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from oversight import audit

from .roles import roles_for


def role_required(*role_names: str):
    """Pages for a role (My team, Organisation, Access log): others get 403, audited."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            roles = roles_for(request.user)
            if not any(getattr(roles, name) for name in role_names):
                audit.record(
                    audit.AuditAction.DENIED,
                    request=request,
                    object_type="page",
                    object_id=request.resolver_match.url_name or "",
                    detail={"answer": 403},
                )
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
