"""The API's writes: imports, leavers and changes of supervisor (scope write_imports)."""

from django.urls import path

from api.v1 import imports, people_writes

urlpatterns = [
    path("imports/", imports.ImportCreate.as_view(), name="api-v1-imports"),
    path(
        "staff/<int:pk>/leaving/",
        people_writes.StaffLeaving.as_view(),
        name="api-v1-staff-leaving",
    ),
    path(
        "staff/<int:pk>/supervisor/",
        people_writes.StaffSupervisor.as_view(),
        name="api-v1-staff-supervisor",
    ),
]
