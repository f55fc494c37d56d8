from django.urls import path

from oversight.web import views_packs

urlpatterns = [
    path("admin-tools/policy/", views_packs.policy_packs, name="policy-packs"),
    path(
        "admin-tools/policy/<slug:code>/new-version/",
        views_packs.policy_pack_edit,
        name="policy-pack-edit",
    ),
    path(
        "admin-tools/policy/<slug:code>/<int:version>/",
        views_packs.policy_pack_version,
        name="policy-pack-version",
    ),
]
