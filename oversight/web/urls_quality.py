from django.urls import path

from oversight.web import views_quality as views

urlpatterns = [
    path("quality/", views.samples, name="quality-samples"),
    path("quality/new/", views.sample_new, name="quality-sample-new"),
    path("quality/<int:sample_id>/", views.sample_page, name="quality-sample"),
    path(
        "quality/<int:sample_id>/reviews/<int:review_id>/",
        views.review_page,
        name="quality-review",
    ),
]
