/* When a phone app sends its outbox (outbox.js): at start, when the network comes back
 * (`online`), when the page becomes visible again, when a back-off runs out (a timer), right
 * after something is queued, and by Background Sync where the browser has it (Chromium; the
 * service worker then sends the queue even with the app closed). A web page cannot do more:
 * with the page closed and no Background Sync, the queue waits for the next opening. */

export const SYNC_TAG = "outbox";

/** Wires the triggers; returns {kick, stop}: `kick()` after queueing something. */
export function keepSending(outbox, { win = window, doc = document, nav = navigator, onResult = () => {} } = {}) {
  let timer = null, stopped = false;

  function plan(summary) {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    if (stopped || !summary || summary.nextAt === null || summary.auth) return;
    timer = setTimeout(() => run(false), Math.max(250, summary.nextAt - Date.now()));
  }

  async function run(force) {
    if (stopped) return null;
    if (nav.onLine === false) { askBackgroundSync(); return null; }
    let summary = null;
    try {
      summary = await outbox.flush({ force });
    } finally {
      plan(summary);
      onResult(summary);
    }
    if (summary && summary.waiting > 0) askBackgroundSync();
    return summary;
  }

  function askBackgroundSync() {
    if (!nav.serviceWorker) return;
    nav.serviceWorker.ready
      .then((reg) => (reg.sync ? reg.sync.register(SYNC_TAG) : null))
      .catch(() => { /* not allowed (e.g. no permission): the other triggers still run */ });
  }

  const online = () => run(true);
  const visible = () => { if (doc.visibilityState === "visible") run(true); };
  win.addEventListener("online", online);
  doc.addEventListener("visibilitychange", visible);
  if (nav.serviceWorker) {
    nav.serviceWorker.addEventListener("message", (e) => {
      if (e.data && e.data.type === "outbox-changed") onResult(null);
      if (e.data && e.data.type === "flush") run(true);  // a classic worker's Background Sync
    });
  }
  run(true);

  return {
    kick: () => run(true),
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      win.removeEventListener("online", online);
      doc.removeEventListener("visibilitychange", visible);
    },
  };
}
