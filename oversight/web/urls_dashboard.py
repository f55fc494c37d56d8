from django.urls import path

from oversight.web import views_dashboard as views

urlpatterns = [
    path("dashboard/", views.dashboard_start, name="dashboard"),
    path("dashboard/units/<str:unit_id>/", views.dashboard_unit, name="dashboard-unit"),
    path(
        "dashboard/units/<str:unit_id>/<slug:measure>/",
        views.dashboard_items,
        name="dashboard-items",
    ),
    path("dashboard/people/<str:person_id>/", views.dashboard_person, name="dashboard-person"),
    path(
        "dashboard/people/<str:person_id>/<slug:measure>/",
        views.dashboard_person_items,
        name="dashboard-person-items",
    ),
]
