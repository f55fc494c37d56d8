from django.urls import path

from oversight.web import views_notifications

urlpatterns = [
    path(
        "account/notifications/",
        views_notifications.notification_settings,
        name="notification-settings",
    ),
]
