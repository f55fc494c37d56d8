from django.urls import path

from oversight.web import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("people/<str:person_id>/access/", views.file_access_log, name="file-access-log"),
]
