// Progressive enhancement only: every page works without this file.
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();

// Warn five minutes before the inactivity limit, with a button that keeps the session alive
// (WCAG 2.2.1: no time limit without warning and a way to extend it).
const warning = document.querySelector("[data-module='app-timeout-warning']");
if (warning) {
  const idleSeconds = Number(warning.dataset.idleSeconds || 1800);
  const warnAfter = Math.max(idleSeconds - 300, 30) * 1000;
  const keepAliveUrl = warning.dataset.keepAliveUrl;
  const csrf = warning.querySelector("input[name='csrfmiddlewaretoken']");
  let timer;

  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      warning.hidden = false;
      warning.querySelector("button").focus();
      // Anything typed is saved now, in case the person does not come back in time.
      document.dispatchEvent(new CustomEvent("app:session-expiring"));
    }, warnAfter);
  };

  warning.querySelector("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(keepAliveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf ? csrf.value : "" },
      credentials: "same-origin",
    });
    if (response.ok) {
      warning.hidden = true;
      arm();
    } else {
      window.location.reload();
    }
  });

  arm();
}

// Drafts save themselves: a few seconds after typing stops, and at least every 30 seconds
// while there are unsaved changes, so nothing typed is lost to a timeout or a closed lid.
document.querySelectorAll("[data-module='app-autosave']").forEach((form) => {
  const url = form.dataset.autosaveUrl;
  const status = form.querySelector("[data-autosave-status]");
  const version = form.querySelector("input[name='version']");
  let dirty = false;
  let saving = false;
  let pause;

  const say = (text) => {
    if (status) status.textContent = text;
  };

  const save = async () => {
    if (!dirty || saving) return;
    saving = true;
    dirty = false;
    try {
      const response = await fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      const data = await response.json();
      if (response.ok) {
        version.value = data.version;
        say(`Draft saved at ${data.saved_at}`);
      } else if (response.status === 409) {
        say("Someone else has saved this record. Your text is still here: select the save button to compare both versions.");
      } else {
        dirty = true;
        say(data.error || "Not saved. Check your connection; your text is still here.");
      }
    } catch (error) {
      dirty = true;
      say("Not saved. Check your connection; your text is still here.");
    } finally {
      saving = false;
    }
  };

  form.addEventListener("input", () => {
    dirty = true;
    clearTimeout(pause);
    pause = setTimeout(save, 3000);
  });
  setInterval(save, 30000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save();
  });
  document.addEventListener("app:session-expiring", save);
});

// The write-up page: every heading saves on its own as it is typed (the record's autosave
// for one heading), one heading at a time, since each save moves the record's version on.
// Saving the page waits for a save under way, so it never clashes with the writer's own.
document.querySelectorAll("[data-module='app-write-up']").forEach((form) => {
  const version = form.querySelector("[data-write-up-version]");
  const csrf = form.querySelector("input[name='csrfmiddlewaretoken']");
  const dirty = new Set();
  let saving = false;
  let stopped = false;
  let pendingSubmit = null;
  let pause;

  const statusOf = (box) => box.closest(".govuk-form-group").querySelector("[data-autosave-status]");

  const saveNext = async () => {
    if (saving || stopped || dirty.size === 0) return;
    const box = dirty.values().next().value;
    dirty.delete(box);
    saving = true;
    const body = new FormData();
    body.append("csrfmiddlewaretoken", csrf.value);
    body.append("version", version.value);
    body.append("text", box.value);
    body.append("completed", box.dataset.completed || "");
    try {
      const response = await fetch(box.dataset.autosaveUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      const data = await response.json();
      if (response.ok) {
        version.value = data.version;
        statusOf(box).textContent = `Saved at ${data.saved_at}`;
      } else if (response.status === 409) {
        // Someone else saved the record: stop saving over them. Saving the page shows both.
        stopped = true;
        statusOf(box).textContent =
          "Someone else has saved this record. Your text is still here: save the page to compare both versions.";
      } else {
        dirty.add(box);
        statusOf(box).textContent = data.error || "Not saved. Check your connection; your text is still here.";
      }
    } catch (error) {
      dirty.add(box);
      statusOf(box).textContent = "Not saved. Check your connection; your text is still here.";
    } finally {
      saving = false;
    }
    if (pendingSubmit) {
      const button = pendingSubmit;
      pendingSubmit = null;
      form.requestSubmit(button);
    } else if (dirty.size && !stopped) {
      saveNext();
    }
  };

  form.querySelectorAll("textarea[data-autosave-url]").forEach((box) => {
    box.addEventListener("input", () => {
      dirty.add(box);
      clearTimeout(pause);
      pause = setTimeout(saveNext, 3000);
    });
  });
  form.addEventListener("submit", (event) => {
    clearTimeout(pause);
    dirty.clear();
    if (saving) {
      event.preventDefault();
      pendingSubmit = event.submitter;
    }
  });
  setInterval(saveNext, 30000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") saveNext();
  });
  document.addEventListener("app:session-expiring", saveNext);
});

// Any other form of more than a line (supervision.drafts): the whole form is kept on the
// server as a draft a few seconds after typing stops, posted to the page's own address so the
// page's own checks of who may fill it in apply. Saving the form waits for a draft under way.
document.querySelectorAll("[data-module='app-draft']").forEach((status) => {
  const form = status.closest("form");
  if (!form) return;
  let version = Number(status.dataset.draftVersion || 0);
  let dirty = false;
  let saving = false;
  let stopped = false;
  let pendingSubmit = null;
  let pause;

  const save = async () => {
    if (!dirty || saving || stopped) return;
    saving = true;
    dirty = false;
    const body = new FormData(form);
    body.set("draft_version", version);
    try {
      const response = await fetch(form.getAttribute("action") || window.location.pathname, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-Autosave": "draft" },
      });
      const data = await response.json();
      if (response.ok) {
        version = data.version;
        status.textContent = `Draft kept at ${data.saved_at}. Save the page when you have finished.`;
      } else if (response.status === 409) {
        stopped = true;
        status.textContent =
          "This form is open in another window, which kept its own draft. Your text is still here: save the page to keep it.";
      } else {
        dirty = true;
        status.textContent = data.error || "Draft not kept. Check your connection; your text is still here.";
      }
    } catch (error) {
      dirty = true;
      status.textContent = "Draft not kept. Check your connection; your text is still here.";
    } finally {
      saving = false;
    }
    if (pendingSubmit) {
      const button = pendingSubmit;
      pendingSubmit = null;
      form.requestSubmit(button);
    }
  };

  form.addEventListener("input", () => {
    dirty = true;
    clearTimeout(pause);
    pause = setTimeout(save, 3000);
  });
  form.addEventListener("submit", (event) => {
    clearTimeout(pause);
    stopped = true;
    if (saving) {
      event.preventDefault();
      pendingSubmit = event.submitter;
    }
  });
  setInterval(save, 30000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save();
  });
  document.addEventListener("app:session-expiring", save);
});
