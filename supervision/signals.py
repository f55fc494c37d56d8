from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from supervision.organisation import audit


@receiver(user_logged_in)
def remember_sign_in_time(sender, request, user, **kwargs):
    # The 12-hour limit counts from sign-in, not from the last request.
    if request is not None and hasattr(request, "session"):
        request.session["signed_in_at"] = timezone.now().isoformat()
    audit.record(audit.AuditAction.SIGN_IN, request=request, actor=user)


@receiver(user_login_failed)
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    attempted = str(credentials.get("username") or credentials.get("email") or "")[:254]
    audit.record(
        audit.AuditAction.SIGN_IN_FAILED,
        request=request,
        actor=None,
        detail={"email": attempted.lower()},
    )


@receiver(user_logged_out)
def audit_sign_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(audit.AuditAction.SIGN_OUT, request=request, actor=user)
