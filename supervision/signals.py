from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone


@receiver(user_logged_in)
def remember_sign_in_time(sender, request, user, **kwargs):
    # The 12-hour limit counts from sign-in, not from the last request.
    if request is not None and hasattr(request, "session"):
        request.session["signed_in_at"] = timezone.now().isoformat()
