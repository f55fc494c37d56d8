from django.urls import path

from supervision.web import views_pdf

urlpatterns = [
    path("sessions/<str:session_id>/record.pdf", views_pdf.record_pdf, name="record-pdf"),
    path("records/<int:record_id>/verify/", views_pdf.record_verify, name="record-verify"),
]
