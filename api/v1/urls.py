from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.v1 import figures, people, units

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(api_version="1"), name="api-v1-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-v1-schema", template_name="api/swagger_ui.html"
        ),
        name="api-v1-docs",
    ),
    path("units/", units.UnitList.as_view(), name="api-v1-units"),
    path("units/<int:pk>/", units.UnitDetail.as_view(), name="api-v1-unit"),
    path("staff/", people.StaffList.as_view(), name="api-v1-staff"),
    path("relationships/", people.RelationshipList.as_view(), name="api-v1-relationships"),
    path("agreements/", people.AgreementList.as_view(), name="api-v1-agreements"),
    path("sessions/", people.SessionList.as_view(), name="api-v1-sessions"),
    path("flags/", figures.FlagList.as_view(), name="api-v1-flags"),
    path("compliance/", figures.ComplianceReport.as_view(), name="api-v1-compliance"),
    path("figures/", figures.DashboardFigures.as_view(), name="api-v1-figures"),
    path("", include("api.v1.urls_write")),
]
