from django.urls import path

from supervision.web import views_development as views

# person_id is a str so that whatever is typed reaches the access layer and is audited there.
urlpatterns = [
    path(
        "people/<str:person_id>/observations/",
        views.person_observations,
        name="person-observations",
    ),
    path(
        "people/<str:person_id>/observations/new/",
        views.observation_new,
        name="observation-new",
    ),
    path(
        "people/<str:person_id>/observations/<int:observation_id>/",
        views.observation_page,
        name="observation",
    ),
    path(
        "people/<str:person_id>/observations/<int:observation_id>/edit/",
        views.observation_edit,
        name="observation-edit",
    ),
    path(
        "people/<str:person_id>/observations/<int:observation_id>/sign/",
        views.observation_sign,
        name="observation-sign",
    ),
    path(
        "people/<str:person_id>/observations/<int:observation_id>/respond/",
        views.observation_respond,
        name="observation-respond",
    ),
    path(
        "people/<str:person_id>/development/",
        views.person_development,
        name="person-development",
    ),
    path(
        "people/<str:person_id>/development/new/",
        views.development_new,
        name="development-new",
    ),
    path(
        "people/<str:person_id>/development/<int:conversation_id>/",
        views.development_conversation,
        name="development-conversation",
    ),
    path(
        "people/<str:person_id>/development/<int:conversation_id>/take-over/",
        views.development_take_over,
        name="development-take-over",
    ),
    path(
        "people/<str:person_id>/development/<int:conversation_id>/edit/",
        views.development_edit,
        name="development-edit",
    ),
    path(
        "people/<str:person_id>/development/<int:conversation_id>/sign/",
        views.development_sign,
        name="development-sign",
    ),
    path("people/<str:person_id>/probation/", views.person_probation, name="person-probation"),
    path(
        "people/<str:person_id>/probation/<int:month>/",
        views.probation_review,
        name="probation-review",
    ),
    path("people/<str:person_id>/wellbeing/", views.person_wellbeing, name="person-wellbeing"),
    path(
        "people/<str:person_id>/wellbeing/review/",
        views.wellbeing_review,
        name="wellbeing-review",
    ),
    path("units/<int:unit_id>/wellbeing/", views.team_wellbeing, name="team-wellbeing"),
    path(
        "units/<int:unit_id>/wellbeing/review/",
        views.team_wellbeing_review,
        name="team-wellbeing-review",
    ),
]
