/* The position while a task is active: `watchPosition` (high accuracy), a screen wake lock where
 * the browser has one, the kept fixes in the user's database (they survive a reload or a killed
 * app), and batches to POST /api/v1/officers/me/positions by trail.js's rules: newest first,
 * then the backlog, each fix once. A web page cannot track in the background: when the page is
 * hidden the watch stops and the app says so on its return; command's map shows the officer's
 * "last seen" time meanwhile (the server's). */

import { add, due, nextBatch, shouldKeep, toFix, without } from "./trail.js";

export const POSITIONS_URL = "/api/v1/officers/me/positions";
const TICK_MS = 3000;

export function createTracker({ kv, api, onChange = () => {}, geo = navigator.geolocation,
                                nav = navigator, doc = document, now = () => Date.now() }) {
  const s = { buffer: [], sentNewest: null, lastKept: null, lastSend: null, last: null, error: null,
              on: false, paused: false, pausedSince: null, wasPaused: null, wake: null, wakeMissing: false,
              sent: [] };
  let watchId = null, timer = null, chain = Promise.resolve(), loaded = null;

  async function load() {
    s.buffer = (await kv.get("trail")) || [];
    s.sentNewest = (await kv.get("trail.sent_newest")) || null;
    s.lastKept = s.buffer.length ? s.buffer[s.buffer.length - 1] : null;
  }
  const ready = () => (loaded = loaded || load().catch(() => {}));

  const persist = () => Promise.all([kv.set("trail", s.buffer), kv.set("trail.sent_newest", s.sentNewest)]).catch(() => {});

  function heard(pos) {
    const fix = toFix(pos);
    s.last = fix;
    s.error = null;
    if (shouldKeep(s.lastKept, fix)) {
      s.buffer = add(s.buffer, fix);
      s.lastKept = fix;
      persist();
    }
    onChange();
    if (due(s.buffer, s.lastSend, now())) flush();
  }

  /** A refusal (code 1) is said at once; "unavailable" or a timeout only while no fix came
   * (Chromium reports one between two fixes when the position jumps). */
  function failed(err) {
    if (err && err.code !== 1 && s.last) return;
    s.error = err && err.message ? err.message : String(err && err.code);
    onChange();
  }

  function watch() {
    if (watchId !== null || !geo) return;
    watchId = geo.watchPosition(heard, failed, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
    lockScreen();
  }

  function unwatch() {
    if (watchId !== null && geo) geo.clearWatch(watchId);
    watchId = null;
    if (s.wake) { s.wake.release().catch(() => {}); s.wake = null; }
  }

  async function lockScreen() {
    if (!nav.wakeLock) { s.wakeMissing = true; onChange(); return; }
    try {
      s.wake = await nav.wakeLock.request("screen");
      s.wake.addEventListener("release", () => { s.wake = null; });
    } catch {
      s.wake = null;  // refused (a hidden page, a saver mode): the watch goes on without it
    }
  }

  function visibility() {
    if (!s.on) return;
    if (doc.visibilityState === "hidden") {
      s.paused = true;
      s.pausedSince = new Date(now()).toISOString();
      unwatch();
    } else if (s.paused) {
      s.paused = false;
      s.wasPaused = { from: s.pausedSince, to: new Date(now()).toISOString() };
      watch();
      flush();
    }
    onChange();
  }
  doc.addEventListener("visibilitychange", visibility);

  /** Sends what is buffered, newest first then the backlog, one request at a time; stops at the
   * first failure (the fixes stay for the next try). A batch the server refuses as a whole (a
   * 422: a device time outside its window) is dropped, or it would block every later fix. */
  function flush() {
    chain = chain.then(async () => {
      await ready();
      for (;;) {
        const batch = nextBatch(s.buffer, s.sentNewest);
        if (!batch.length) break;
        let r;
        try {
          r = await api(POSITIONS_URL, { method: "POST", headers: { "Content-Type": "application/json" },
                                         body: JSON.stringify({ positions: batch }) });
        } catch {
          break;
        }
        if (!(r.ok || r.status === 422 || r.status === 400)) break;
        const newest = batch[batch.length - 1];
        s.buffer = without(s.buffer, batch);
        if (s.sentNewest === null || Date.parse(newest.recorded_at) > Date.parse(s.sentNewest)) s.sentNewest = newest.recorded_at;
        s.lastSend = { at: now(), fix: newest };
        s.sent.push(batch.length);
        await persist();
        onChange();
      }
    }).catch(() => {});
    return chain;
  }

  return {
    /** Tracking on (a task of this officer is active) or off. */
    async set(on) {
      await ready();
      if (on === s.on) return;
      s.on = on;
      if (on && doc.visibilityState !== "hidden") watch();
      if (on) timer = setInterval(() => { if (due(s.buffer, s.lastSend, now())) flush(); }, TICK_MS);
      if (!on) { unwatch(); clearInterval(timer); timer = null; flush(); }
      onChange();
    },
    /** Runs `fn` (a one-off getCurrentPosition: the check-in's fresh fix) with the watch
     * stopped, since Chromium answers no getCurrentPosition while a watch is running, then
     * watches again; the fix it gives joins the trail (the check-in's evidence). */
    async around(fn) {
      const was = watchId !== null;
      if (was) { geo.clearWatch(watchId); watchId = null; }
      try {
        const pos = await fn();
        if (pos && s.on) heard(pos);
        return pos;
      } finally {
        if (was && s.on && !s.paused) { watchId = geo.watchPosition(heard, failed, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 }); }
      }
    },
    flush,
    ready,
    state: () => s,
    stop() { unwatch(); clearInterval(timer); doc.removeEventListener("visibilitychange", visibility); },
  };
}
