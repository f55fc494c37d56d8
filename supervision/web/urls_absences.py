from django.urls import path

from supervision.web import views_absences as views

# person_id is a str so that whatever is typed reaches the access layer and is audited there.
urlpatterns = [
    path(
        "people/<str:person_id>/absences/",
        views.supervisor_absences,
        name="supervisor-absences",
    ),
]
