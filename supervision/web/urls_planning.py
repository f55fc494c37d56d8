from django.urls import path

from supervision.web import views_moving, views_past_sessions
from supervision.web import views_planning as views

urlpatterns = [
    path("people/<str:person_id>/sessions/", views.person_sessions, name="person-sessions"),
    path("people/<str:person_id>/sessions/plan/", views.plan_sessions, name="plan-sessions"),
    path(
        "people/<str:person_id>/sessions/record-past/",
        views_past_sessions.record_past_session,
        name="session-record-past",
    ),
    path("sessions/<str:session_id>/cancel/", views.cancel_session, name="cancel-session"),
    path("sessions/<str:session_id>/move/", views_moving.move_session, name="move-session"),
    path("sessions/<str:session_id>/outcome/", views.session_outcome, name="session-outcome"),
    path(
        "sessions/<str:session_id>/calendar.ics",
        views.session_calendar,
        name="session-calendar",
    ),
]
