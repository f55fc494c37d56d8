from django.urls import path

from oversight.web import views_case_note_retention, views_retention, views_subject_access

urlpatterns = [
    path("retention/", views_retention.retention_candidates, name="retention-candidates"),
    path(
        "retention/candidates/<int:candidate_id>/destroy/",
        views_retention.retention_destroy,
        name="retention-destroy",
    ),
    path("retention/rules/", views_retention.retention_rules, name="retention-rules"),
    path("retention/holds/", views_retention.legal_holds, name="legal-holds"),
    path(
        "retention/holds/<int:hold_id>/lift/",
        views_retention.legal_hold_lift,
        name="legal-hold-lift",
    ),
    path(
        "retention/case-notes/",
        views_case_note_retention.case_notes_due,
        name="case-notes-due",
    ),
    path(
        "retention/case-notes/<int:listing_id>/destroy/",
        views_case_note_retention.case_notes_destroy,
        name="case-notes-destroy",
    ),
    path(
        "retention/case-notes/holds/",
        views_case_note_retention.case_note_holds,
        name="case-note-holds",
    ),
    path(
        "retention/case-notes/holds/<int:hold_id>/lift/",
        views_case_note_retention.case_note_hold_lift,
        name="case-note-hold-lift",
    ),
    path(
        "subject-access/",
        views_subject_access.subject_access_requests,
        name="subject-access-requests",
    ),
    path(
        "people/<str:person_id>/subject-access/",
        views_subject_access.subject_access,
        name="subject-access",
    ),
    path(
        "people/<str:person_id>/subject-access/<int:export_id>/progress/",
        views_subject_access.subject_access_progress,
        name="subject-access-progress",
    ),
    path(
        "people/<str:person_id>/subject-access/<int:export_id>/download/",
        views_subject_access.subject_access_download,
        name="subject-access-download",
    ),
    path(
        "people/<str:person_id>/subject-access/<int:export_id>/try-again/",
        views_subject_access.subject_access_try_again,
        name="subject-access-try-again",
    ),
]
