"""Which scope opens which route. Every route names its scopes; one that names none is shut
(DEFAULT_PERMISSION_CLASSES)."""

from rest_framework.permissions import BasePermission

from access.api import may_use
from api.framework.authentication import ApiClient


class Shut(BasePermission):
    message = "This route is not open to any token."

    def has_permission(self, request, view):
        return False


class Scoped(BasePermission):
    """Open to a token whose account holds any of the view's `scopes`."""

    def has_permission(self, request, view):
        client = request.user
        if not isinstance(client, ApiClient):
            return False
        scopes = getattr(view, "scopes", ())
        self.message = (
            f"This token's service account may not do this: it needs the scope "
            f"{' or '.join(scopes)}."
        )
        return may_use(client.account, *scopes)
