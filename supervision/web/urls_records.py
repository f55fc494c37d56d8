from django.urls import path

from supervision.web import (
    views_actions,
    views_next_session,
    views_record_attachments,
    views_write_up,
)
from supervision.web import views_records as views

urlpatterns = [
    path("actions/<str:action_id>/done/", views_actions.action_done, name="action-done"),
    path("sessions/<str:session_id>/", views.session_page, name="session"),
    path("sessions/<str:session_id>/agenda/", views.agenda_add, name="agenda-add"),
    path("sessions/<str:session_id>/record/start/", views.record_start, name="record-start"),
    path("sessions/<str:session_id>/record/", views.record_page, name="record"),
    path(
        "sessions/<str:session_id>/record/next-session/",
        views_next_session.record_next_session,
        name="record-next-session",
    ),
    path(
        "sessions/<str:session_id>/record/write-up/",
        views_write_up.write_up,
        name="record-write-up",
    ),
    path(
        "sessions/<str:session_id>/record/sections/<slug:key>/",
        views.section_edit,
        name="record-section",
    ),
    path(
        "sessions/<str:session_id>/record/sections/<slug:key>/autosave/",
        views.section_autosave,
        name="record-section-autosave",
    ),
    path(
        "sessions/<str:session_id>/record/decisions/add/", views.decision_add, name="decision-add"
    ),
    path("sessions/<str:session_id>/record/actions/add/", views.action_add, name="action-add"),
    path(
        "sessions/<str:session_id>/record/actions/<int:action_id>/review/",
        views.action_review,
        name="action-review",
    ),
    path(
        "sessions/<str:session_id>/record/disagreements/add/",
        views.disagreement_add,
        name="disagreement-add",
    ),
    path(
        "sessions/<str:session_id>/record/disagreements/<int:disagreement_id>/sign/",
        views.disagreement_sign,
        name="disagreement-sign",
    ),
    path("sessions/<str:session_id>/record/share/", views.record_share, name="record-share"),
    path("sessions/<str:session_id>/record/sign/", views.record_sign, name="record-sign"),
    path(
        "sessions/<str:session_id>/record/ask-for-changes/", views.record_amend, name="record-amend"
    ),
    path(
        "sessions/<str:session_id>/record/finalise/", views.record_finalise, name="record-finalise"
    ),
    path("sessions/<str:session_id>/record/addenda/add/", views.addendum_add, name="addendum-add"),
    path(
        "sessions/<str:session_id>/record/attachments/",
        views_record_attachments.record_attachments,
        name="record-attachments",
    ),
    path(
        "sessions/<str:session_id>/record/attachments/<str:attachment_id>/",
        views_record_attachments.record_attachment,
        name="record-attachment",
    ),
    path(
        "sessions/<str:session_id>/record/attachments/<str:attachment_id>/remove/",
        views_record_attachments.record_attachment_remove,
        name="record-attachment-remove",
    ),
]
