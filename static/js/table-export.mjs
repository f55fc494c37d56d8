// Progress of a table download being built, without reloading the page. Progressive
// enhancement: without this file the page's "Refresh" link does the same job.
const POLL_MS = 2000;
const region = document.querySelector("[data-module='app-table-export']");

if (region && !["ready", "failed"].includes(region.dataset.status)) {
  const number = new Intl.NumberFormat("en-GB");
  const bar = region.querySelector("progress");
  const text = region.querySelector("[data-export-text]");

  const ready = (url) => {
    const heading = document.querySelector("[data-export-heading]");
    if (heading) heading.textContent = "Your download is ready";
    const paragraph = document.createElement("p");
    paragraph.className = "govuk-body";
    const link = document.createElement("a");
    link.className = "govuk-link";
    link.href = url;
    link.textContent = `Download ${region.dataset.title} (${region.dataset.format})`;
    paragraph.append(link);
    region.replaceChildren(paragraph); // inside the live region, so it is announced
  };

  const poll = async () => {
    let state;
    try {
      const response = await fetch(region.dataset.progressUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return; // signed out or refused: stop; the Refresh link still works
      state = await response.json();
    } catch {
      setTimeout(poll, POLL_MS * 2); // a network blip: try again, less often
      return;
    }
    if (state.status === "ready" && state.download_url) {
      ready(state.download_url);
      return;
    }
    if (state.status === "failed") {
      window.location.reload(); // the page explains what went wrong and what to do
      return;
    }
    bar.max = Math.max(state.rows_total, 1);
    bar.value = state.rows_done;
    bar.textContent = `${state.percent}%`;
    text.textContent = `${number.format(state.rows_done)} of ${number.format(state.rows_total)} rows`;
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}
