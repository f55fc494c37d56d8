from django.urls import path

from casework.web import views_note_attachments
from casework.web import views_notes as views

NOTE = "children/<str:child_id>/notes/<str:note_id>/"

urlpatterns = [
    path("children/<str:child_id>/notes/new/", views.case_note_new, name="case-note-new"),
    path(NOTE, views.case_note_page, name="case-note"),
    path(NOTE + "edit/", views.case_note_edit, name="case-note-edit"),
    path(NOTE + "autosave/", views.case_note_autosave, name="case-note-autosave"),
    path(NOTE + "actions/add/", views.case_note_action_add, name="case-note-action-add"),
    path(
        NOTE + "actions/<str:action_id>/remove/",
        views.case_note_action_remove,
        name="case-note-action-remove",
    ),
    path(
        NOTE + "actions/<str:action_id>/status/",
        views.case_action_status,
        name="case-note-action-status",
    ),
    path(NOTE + "finalise/", views.case_note_finalise, name="case-note-finalise"),
    path(NOTE + "pdf/", views.case_note_pdf, name="case-note-pdf"),
    path(
        NOTE + "attachments/",
        views_note_attachments.case_note_attachments,
        name="case-note-attachments",
    ),
    path(
        NOTE + "attachments/<str:attachment_id>/",
        views_note_attachments.case_note_attachment,
        name="case-note-attachment",
    ),
    path(
        NOTE + "attachments/<str:attachment_id>/remove/",
        views_note_attachments.case_note_attachment_remove,
        name="case-note-attachment-remove",
    ),
    path("children/<str:child_id>/extract/", views.child_extract, name="child-extract"),
    path(
        "children/<str:child_id>/extract/download/",
        views.child_extract_download,
        name="child-extract-download",
    ),
    path(
        "sessions/<str:session_id>/children/", views.session_case_notes, name="session-case-notes"
    ),
]
