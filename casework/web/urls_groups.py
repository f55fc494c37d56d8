from django.urls import path

# Ids are str so that whatever is typed reaches the access layer and is audited there.
from casework.web import views_front_door, views_groups

# Ids are str so that whatever is typed reaches the access layer and is audited there.
urlpatterns = [
    path(
        "teams/<str:unit_id>/group-supervision/",
        views_groups.group_sessions,
        name="group-sessions",
    ),
    path(
        "teams/<str:unit_id>/group-supervision/new/",
        views_groups.group_session_new,
        name="group-session-new",
    ),
    path(
        "group-supervision/<str:group_id>/",
        views_groups.group_session,
        name="group-session",
    ),
    path(
        "teams/<str:unit_id>/case-progression/",
        views_groups.progression_board,
        name="progression-board",
    ),
    path(
        "children/<str:child_id>/stage/",
        views_groups.progression_move,
        name="progression-move",
    ),
    path(
        "people/<str:person_id>/front-door/",
        views_front_door.front_door_sessions,
        name="front-door-sessions",
    ),
    path(
        "people/<str:person_id>/front-door/new/",
        views_front_door.front_door_new,
        name="front-door-new",
    ),
    path(
        "front-door/<str:session_id>/",
        views_front_door.front_door_session,
        name="front-door-session",
    ),
]
