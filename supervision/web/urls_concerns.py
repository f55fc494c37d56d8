from django.urls import path

from supervision.web import views_concerns as views

urlpatterns = [
    path("concerns/", views.concern_list, name="concerns"),
    path("concerns/new/", views.concern_new, name="concern-new"),
    path("concerns/<str:concern_id>/", views.concern_page, name="concern"),
    path("concerns/<str:concern_id>/add/", views.concern_add, name="concern-add"),
    path("concerns/<str:concern_id>/answer/", views.concern_answer, name="concern-answer"),
    path("concerns/<str:concern_id>/withdraw/", views.concern_withdraw, name="concern-withdraw"),
    path(
        "sessions/<str:session_id>/record/disagreements/<int:disagreement_id>/escalate/",
        views.disagreement_escalate,
        name="disagreement-escalate",
    ),
]
