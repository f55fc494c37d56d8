from django.urls import path

from casework.web import views_children as views

# Ids are str so that whatever is typed reaches the access layer and is audited there.
urlpatterns = [
    path("caseload/", views.caseload_mine, name="caseload-mine"),
    path("caseload/<str:person_id>/", views.caseload, name="caseload"),
    path("caseload/<str:person_id>/discuss/", views.caseload_discuss, name="caseload-discuss"),
    path("caseload/<str:person_id>/print/", views.caseload_print, name="caseload-print"),
    path("children/find/", views.child_find, name="child-find"),
    path("children/new/", views.child_new, name="child-new"),
    path("children/<str:child_id>/", views.child_page, name="child"),
    path("children/<str:child_id>/edit/", views.child_edit, name="child-edit"),
    path("children/<str:child_id>/risk/", views.child_risk, name="child-risk"),
    path("children/<str:child_id>/family/", views.child_family, name="child-family"),
]
