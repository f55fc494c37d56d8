from django.urls import path

from . import views_notifications

urlpatterns = [
    path(
        "account/notifications/",
        views_notifications.notification_settings,
        name="notification-settings",
    ),
]
