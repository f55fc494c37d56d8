from django.urls import path

from supervision.web import views, views_staff_admin

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
    path("organisation/people/add/", views_staff_admin.person_add, name="person-add"),
    path(
        "organisation/people/<int:person_id>/change/",
        views_staff_admin.person_edit,
        name="person-edit",
    ),
    path(
        "organisation/people/<int:person_id>/send-link/",
        views_staff_admin.person_send_link,
        name="person-send-link",
    ),
    path("organisation/units/add/", views_staff_admin.unit_add, name="unit-add"),
    path("organisation/units/<int:unit_id>/change/", views_staff_admin.unit_edit, name="unit-edit"),
]
