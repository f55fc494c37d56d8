// Progress of subject access exports, without reloading the page. Progressive enhancement:
// without this file the page's "Refresh" link does the same job.
const POLL_MS = 3000;
const FINISHED = new Set(["done", "failed"]);

for (const row of document.querySelectorAll("[data-module='app-export-progress']")) {
  if (FINISHED.has(row.dataset.status)) continue;
  const bar = row.querySelector("progress");
  const label = row.querySelector("[data-export-status]");
  const download = row.querySelector("[data-export-download]");

  const poll = async () => {
    let state;
    try {
      const response = await fetch(row.dataset.progressUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return; // signed out or refused: stop; the Refresh link still works
      state = await response.json();
    } catch {
      setTimeout(poll, POLL_MS * 2); // a network blip: try again, less often
      return;
    }
    bar.value = state.progress;
    bar.textContent = `${state.progress}%`;
    label.textContent = `${state.status_label}, ${state.progress}%`;
    if (state.download_url) {
      const link = document.createElement("a");
      link.className = "govuk-link";
      link.href = state.download_url;
      link.setAttribute("download", "");
      link.textContent = "Download zip";
      download.replaceChildren(link);
    }
    if (!FINISHED.has(state.status)) setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}
