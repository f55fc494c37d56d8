"""The base of every API view: token, scopes, rate limit, audit entry, no caching."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

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
    def get_object(self):
        # An id past what the database holds is no row, not an overflow.
        if int(self.kwargs[self.lookup_url_kwarg or self.lookup_field]) >= 2**63:
            raise NotFound()
        return super().get_object()

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self.rows_returned = 1
        return response


@extend_schema(exclude=True)
class NoSuchRoute(APIView):
    """Any other address under /api/: a JSON 404, never the site's HTML page."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound("There is no such route in this API: see /api/v1/docs/.")

    def get(self, request, *args, **kwargs):
        raise NotFound("There is no such route in this API: see /api/v1/docs/.")
