"""Nothing typed is lost: any form page keeps a draft on the server as it is typed.

A view that shows a form of more than a line uses one `Drafting` for the page:

    drafting = Drafting(request, subject=person, saved=current_values)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(SomeForm, initial=current_values)
    if request.method == "POST" and form.is_valid() and not drafting.clashed(form):
        ...save through the service...
        drafting.done()

and its template includes "includes/drafting.html" inside the <form>. The browser (app.mjs,
`app-draft`) posts the form to its own address a few seconds after typing stops, marked as an
autosave; the view has already decided reach, so a draft is only ever written by someone
allowed to fill in that form. Opening the page again puts the draft back in the form.

Each draft has a version: a second window of the same form that saved in between gets a 409,
never overwrites silently. Each page also carries a fingerprint of the saved object as the
writer first saw it; if someone else saved the object meanwhile, saving the page shows the
saved version beside the writer's own text rather than overwriting it.
"""

import hashlib
import json

from django import forms
from django.db import transaction
from django.forms.utils import ErrorDict
from django.http import JsonResponse, QueryDict
from django.utils import timezone

from supervision.models import FormDraft
from supervision.organisation import plain_text

AUTOSAVE_HEADER = "X-Autosave"
# Far more than any form here takes; it stops a script filling the table.
MAX_DRAFT_BYTES = 200_000
NOT_KEPT = ("csrfmiddlewaretoken", "draft_version")


def fingerprint(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _kept(name: str) -> bool:
    # A password typed to sign is never stored anywhere, drafts included.
    return name not in NOT_KEPT and "password" not in name


class Drafting:
    def __init__(self, request, *, subject=None, saved: dict | None = None):
        self.request = request
        self.subject = subject
        self.saved = saved or {}
        self.path = request.path
        self.theirs: list[tuple[str, str]] = []
        self.restored: FormDraft | None = None
        self.for_text = False  # only a form with a box for text is worth a draft
        self._fingerprint = None
        self._draft = False  # not looked for yet

    @property
    def is_autosave(self) -> bool:
        return self.request.method == "POST" and bool(self.request.headers.get(AUTOSAVE_HEADER))

    def autosave(self) -> JsonResponse | None:
        """The response to an autosave, or None when the request is not one."""
        if not self.is_autosave:
            return None
        data = {name: values for name, values in self.request.POST.lists() if _kept(name)}
        for name, values in data.items():
            if any(plain_text.problem(value, one_line=False) for value in values):
                return JsonResponse(
                    {"error": plain_text.message(plain_text.HIDDEN, name.replace("_", " "))},
                    status=400,
                )
        if len(json.dumps(data)) > MAX_DRAFT_BYTES:
            return JsonResponse({"error": "Too much text to keep as a draft."}, status=400)
        try:
            sent_version = int(self.request.POST.get("draft_version") or 0)
        except ValueError:
            return JsonResponse({"error": "draft_version must be a number"}, status=400)
        with transaction.atomic():
            draft = (
                FormDraft.objects.select_for_update()
                .filter(author=self.request.user, form_path=self.path)
                .first()
            )
            current = draft.version if draft else 0
            if sent_version != current:
                # Another window of the same form saved since this one last did.
                return JsonResponse({"conflict": True, "version": current}, status=409)
            if draft is None:
                draft = FormDraft(author=self.request.user, form_path=self.path, version=0)
            draft.subject = self.subject
            draft.data = data
            draft.version = current + 1
            draft.updated_at = timezone.now()
            draft.save()
        return JsonResponse(
            {"version": draft.version, "saved_at": timezone.localtime().strftime("%H:%M:%S")}
        )

    def form(self, form_class, *args, initial=None, **kwargs):
        """The page's form: bound to what was posted; else to the draft, if there is one,
        without showing errors for what is not filled in yet; else empty with `initial`."""
        return self.watch(self._form(form_class, *args, initial=initial, **kwargs))

    def watch(self, form):
        """Keep drafts of `form`, made by the view itself, if it has a box for text."""
        self.for_text = any(isinstance(f.widget, forms.Textarea) for f in form.fields.values())
        return form

    def draft_data(self) -> QueryDict | None:
        """What the draft holds, for a form whose shape depends on it (rows added)."""
        draft = self._kept()
        if draft is None:
            return None
        self.restored = draft
        data = QueryDict(mutable=True)
        for name, values in draft.data.items():
            data.setlist(name, values)
        return data

    def _form(self, form_class, *args, initial=None, **kwargs):
        if self.request.method == "POST":
            return form_class(self.request.POST, *args, initial=initial, **kwargs)
        data = self.draft_data()
        if data is None:
            return form_class(*args, initial=initial, **kwargs)
        form = form_class(data, *args, initial=initial, **kwargs)
        form._errors = ErrorDict()  # a draft is unfinished: nothing to complain about yet
        return form

    def _kept(self) -> FormDraft | None:
        if self._draft is False:
            self._draft = FormDraft.objects.filter(
                author=self.request.user, form_path=self.path
            ).first()
        return self._draft

    @property
    def version(self) -> int:
        """The draft's version the page's next autosave must name: also after a save that
        came back with errors, so the page does not take itself for another window."""
        draft = self._kept() if self.for_text else None
        return draft.version if draft else 0

    @property
    def fingerprint(self) -> str:
        """The saved object as the writer first saw it: carried by the page (and its draft)."""
        if self._fingerprint:
            return self._fingerprint
        if self.request.method == "POST" and self.request.POST.get("draft_fingerprint"):
            return self.request.POST["draft_fingerprint"]
        if self.restored and self.restored.data.get("draft_fingerprint"):
            return self.restored.data["draft_fingerprint"][0]
        return fingerprint(self.saved)

    def clashed(self, form) -> bool:
        """True, with the saved text to show and an error on the form, when someone else saved
        the object since the writer first saw it. Saving again keeps the writer's text."""
        sent = self.request.POST.get("draft_fingerprint")
        now = fingerprint(self.saved)
        if not sent or sent == now:
            return False
        for name, value in self.saved.items():
            if name in form.fields and str(form.cleaned_data.get(name, "")) != str(value or ""):
                self.theirs.append((form.fields[name].label or name, value))
        self._fingerprint = now
        form.add_error(
            None,
            "Someone else saved this while you were writing. Your text is still in the form; "
            "the saved version is shown above it. Combine them and save again.",
        )
        return True

    def done(self) -> None:
        """The form is saved: its draft has nothing more to keep."""
        FormDraft.objects.filter(author=self.request.user, form_path=self.path).delete()
