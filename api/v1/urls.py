from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.v1 import units

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
    path("", include("api.v1.urls_write")),
]
