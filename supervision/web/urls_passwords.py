from django.urls import path

from supervision.web import views_passwords

urlpatterns = [
    path(
        "sign-in/forgotten-password/",
        views_passwords.password_forgotten,
        name="password-forgotten",
    ),
    path(
        "sign-in/forgotten-password/sent/",
        views_passwords.password_forgotten_sent,
        name="password-forgotten-sent",
    ),
    path(
        "set-password/<uidb64>/<token>/",
        views_passwords.PasswordSetView.as_view(),
        name="password-set",
    ),
    path("set-password/done/", views_passwords.password_set_done, name="password-set-done"),
    path(
        "invitation/<uidb64>/<token>/", views_passwords.InvitationView.as_view(), name="invitation"
    ),
]
