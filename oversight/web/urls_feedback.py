from django.urls import path

from oversight.web import views_feedback

urlpatterns = [
    path("feedback/", views_feedback.feedback, name="feedback"),
    path("feedback/report/", views_feedback.feedback_report, name="feedback-report"),
]
