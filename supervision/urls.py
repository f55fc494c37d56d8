from django.urls import path

from . import views

urlpatterns = [
    path("team/", views.my_team_page, name="my-team"),
    path("people/<str:person_id>/", views.staff_file, name="staff-file"),
    path("organisation/", views.organisation, name="organisation"),
    path(
        "organisation/people/<int:person_id>/change-supervisor/",
        views.change_supervisor,
        name="change-supervisor",
    ),
    path("organisation/people/<int:person_id>/leaving/", views.mark_left, name="mark-left"),
]
