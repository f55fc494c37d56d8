from django.contrib import admin
from django.urls import include, path, re_path

from api.framework.views import NoSuchRoute
from supervision.web import views as supervision_views

urlpatterns = [
    path("", supervision_views.home, name="home"),
    path("sign-in/", supervision_views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", supervision_views.SignOutView.as_view(), name="sign-out"),
    path("keep-alive/", supervision_views.keep_alive, name="keep-alive"),
    path("healthz/", supervision_views.health, name="health"),
    path("", include("supervision.web.urls_passwords")),
    path("", include("supervision.web.urls_accounts")),
    path("", include("supervision.web.urls")),
    path("", include("supervision.web.urls_records")),
    path("", include("supervision.web.urls_concerns")),
    path("", include("supervision.web.urls_planning")),
    path("", include("supervision.web.urls_pdf")),
    path("", include("agreements.web.urls")),
    path("", include("oversight.web.urls_retention")),
    path("", include("supervision.web.urls_development")),
    path("", include("supervision.web.urls_absences")),
    path("", include("oversight.web.urls_feedback")),
    path("", include("casework.web.urls_children")),
    path("", include("casework.web.urls_transfers")),
    path("", include("casework.web.urls_notes")),
    path("", include("casework.web.urls_groups")),
    path("", include("oversight.web.urls_packs")),
    path("", include("oversight.web.urls_notifications")),
    path("", include("oversight.web.urls_import")),
    path("", include("oversight.web.urls_dashboard")),
    path("", include("oversight.web.urls_exports")),
    path("", include("oversight.web.urls_quality")),
    path("", include("oversight.web.urls")),
    path("", include("api.web.urls")),
    path("api/v1/", include("api.v1.urls")),
    re_path(r"^api/", NoSuchRoute.as_view(), name="api-no-such-route"),
    path("admin/", admin.site.urls),
]
