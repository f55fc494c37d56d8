from django.urls import path

from oversight.web import views_import

urlpatterns = [
    path("admin-tools/import/", views_import.import_upload, name="import-upload"),
    path("admin-tools/import/confirm/", views_import.import_confirm, name="import-confirm"),
]
