from django.urls import path

from oversight.web import views_exports

urlpatterns = [
    path(
        "exports/<slug:table>.<str:file_format>",
        views_exports.export_table,
        name="export-table",
    ),
    path("exports/<int:export_id>/", views_exports.export_status, name="export-status"),
    path(
        "exports/<int:export_id>/try-again/",
        views_exports.export_try_again,
        name="export-try-again",
    ),
    path(
        "exports/<int:export_id>/progress/",
        views_exports.export_progress,
        name="export-progress",
    ),
    path(
        "exports/<int:export_id>/download/",
        views_exports.export_download,
        name="export-download",
    ),
]
