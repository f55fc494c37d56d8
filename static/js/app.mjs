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
