"""Cursor pages in a stable order: a row added or changed while a client pages through is
neither skipped nor seen twice, and a page costs the same however deep it is."""

import re

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

SIZE = re.compile(r"[0-9]{1,4}")


class StablePages(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    # Every list orders by a unique key (the id), so the cursor's position is exact.
    ordering = "pk"
    cursor_query_description = "The cursor from the previous page's `next` or `previous` link."
    page_size_query_description = "Rows per page, 1 to 1,000 (100 when not given)."

    def get_page_size(self, request):
        # Out-of-range sizes are refused with a 400 naming the parameter rather than quietly
        # clipped, so a client knows what it gets.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not SIZE.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Enter a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {"cursor": ["This cursor is not one this API gave: follow `next` or `previous`."]}
            ) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters
