from django.urls import path

from agreements.web import views

urlpatterns = [
    path(
        "relationships/<str:relationship_id>/agreements/",
        views.relationship_agreements,
        name="relationship-agreements",
    ),
    path(
        "relationships/<str:relationship_id>/agreements/new/",
        views.agreement_new,
        name="agreement-new",
    ),
    path("agreements/<str:agreement_id>/", views.agreement_page, name="agreement"),
    path("agreements/<str:agreement_id>/edit/", views.agreement_edit, name="agreement-edit"),
    path("agreements/<str:agreement_id>/sign/", views.agreement_sign, name="agreement-sign"),
    path(
        "agreements/<str:agreement_id>/withdraw-signature/",
        views.agreement_withdraw,
        name="agreement-withdraw",
    ),
    path("agreements/<str:agreement_id>/review/", views.agreement_review, name="agreement-review"),
    path("agreements/<str:agreement_id>/agreement.pdf", views.agreement_pdf, name="agreement-pdf"),
]
