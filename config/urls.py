from django.contrib import admin
from django.urls import include, path

from supervision import views as supervision_views

urlpatterns = [
    path("", supervision_views.home, name="home"),
    path("sign-in/", supervision_views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", supervision_views.SignOutView.as_view(), name="sign-out"),
    path("keep-alive/", supervision_views.keep_alive, name="keep-alive"),
    path("healthz/", supervision_views.health, name="health"),
    path("", include("supervision.urls_passwords")),
    path("", include("supervision.urls")),
    path("", include("supervision.urls_records")),
    path("", include("supervision.urls_planning")),
    path("", include("supervision.urls_pdf")),
    path("", include("agreements.urls")),
    path("", include("oversight.urls_retention")),
    path("", include("supervision.urls_development")),
    path("", include("supervision.urls_absences")),
    path("", include("oversight.urls_feedback")),
    path("", include("casework.urls_children")),
    path("", include("casework.urls_transfers")),
    path("", include("casework.urls_notes")),
    path("", include("casework.urls_groups")),
    path("", include("oversight.urls_packs")),
    path("", include("oversight.urls_notifications")),
    path("", include("oversight.urls_import")),
    path("", include("oversight.urls_dashboard")),
    path("", include("oversight.urls_exports")),
    path("", include("oversight.urls_quality")),
    path("", include("oversight.urls")),
    path("admin/", admin.site.urls),
]
