"""The base of every API view: token, scopes, rate limit, audit entry, no caching."""

from rest_framework import generics

from access.api import unit_paths
from api.framework.authentication import ApiClient
from api.framework.calls import record_call
from api.framework.permissions import Scoped


class ApiView(generics.GenericAPIView):
    """Each route names `scopes`; rows are counted for the audit entry by `rows_returned`."""

    permission_classes = [Scoped]
    scopes: tuple[str, ...] = ()
    rows_returned: int | None = None

    @property
    def account(self):
        client = self.request.user
        return client.account if isinstance(client, ApiClient) else None

    def reach(self) -> list[str]:
        """The unit paths this call's account sees (access.api), read once per call."""
        if not hasattr(self, "_reach"):
            self._reach = unit_paths(self.account)
        return self._reach

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self.rows_returned = len(page)
        return page

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record_call(request, response, rows=self.rows_returned)
        response["Cache-Control"] = "no-store"
        return response


class ApiListView(ApiView, generics.ListAPIView):
    pass


class ApiRetrieveView(ApiView, generics.RetrieveAPIView):
    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self.rows_returned = 1
        return response
