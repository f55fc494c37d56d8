from django.urls import path

from casework.web import views_transfers as views

urlpatterns = [
    path("children/<str:child_id>/transfer/", views.child_transfer, name="child-transfer"),
    path(
        "children/<str:child_id>/transfers/<str:transfer_id>/",
        views.child_transfer_detail,
        name="child-transfer-detail",
    ),
    path(
        "children/<str:child_id>/transfers/<str:transfer_id>/complete/",
        views.child_transfer_complete,
        name="child-transfer-complete",
    ),
    path(
        "children/<str:child_id>/transfers/<str:transfer_id>/cancel/",
        views.child_transfer_cancel,
        name="child-transfer-cancel",
    ),
    path("children/<str:child_id>/close/", views.child_close, name="child-close"),
]
