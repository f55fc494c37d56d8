"""How each person hears about overdue items: an email for each new flag or
one a day. Anyone signed in may choose for themselves, and only for themselves."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from oversight.notices import notify
from oversight.web.forms_notifications import NotificationPreferenceForm
from supervision.web.form_errors import add_service_errors


@login_required
def notification_settings(request):
    if request.method == "POST":
        form = NotificationPreferenceForm(request.POST)
        if form.is_valid():
            try:
                preference = notify.preference_set(
                    user=request.user, mode=form.cleaned_data["mode"], request=request
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Notification settings saved: {preference.get_mode_display().lower()}",
                )
                return redirect("notification-settings")
    else:
        form = NotificationPreferenceForm(initial={"mode": notify.preference_mode(request.user)})
    return render(
        request,
        "oversight/notifications/settings.html",
        {
            "form": form,
            "manages_units": request.user.managed_units.exclude(kind="team").exists(),
        },
    )
