/* The position while a task is active: `watchPosition` (high accuracy), a screen wake lock where
 * the browser has one, the kept fixes in the user's database (they survive a reload or a killed
 * app), and batches to POST /api/v1/officers/me/positions by trail.js's rules: newest first,
 * then the backlog, each fix once (trailsync.js, which the service worker uses too). A web page
 * cannot track in the background: when the page is hidden the watch stops and the app says so;
 * command's map shows the officer's "last seen" time meanwhile (the server's). */

import { due, shouldKeep, toFix } from "../shared/trail.js";
import { keepFix, readTrail, sendTrail } from "../shared/trailsync.js";

const TICK_MS = 3000;

/** `lock`: the Web Lock of the user's trail (trailsync.js's trailLockName), shared with the
 * service worker. */
export function createTracker({ kv, api, lock, onChange = () => {}, geo = navigator.geolocation,
                                nav = navigator, doc = document, now = () => Date.now() }) {
  const s = { buffer: [], sentNewest: null, lastKept: null, lastSend: null, last: null, error: null,
              on: false, paused: false, pausedSince: null, wasPaused: null, wake: null, wakeMissing: false,
              sent: [] };
  let watchId = null, timer = null, chain = Promise.resolve(), loaded = null;

  async function load() {
    const kept = await readTrail(kv);
    s.buffer = kept.buffer;
    s.lastKept = s.buffer.length ? s.buffer[s.buffer.length - 1] : null;
  }
  const ready = () => (loaded = loaded || load().catch(() => {}));
  /** The kept trail read again (the service worker may have sent some of it). */
  const reread = () => readTrail(kv).then((kept) => { s.buffer = kept.buffer; onChange(); }, () => {});

  function heard(pos) {
    const fix = toFix(pos);
    s.last = fix;
    s.error = null;
    if (shouldKeep(s.lastKept, fix)) {
      s.lastKept = fix;
      keepFix(kv, lock, fix).then((buffer) => {
        s.buffer = buffer;
        onChange();
        if (due(s.buffer, s.lastSend, now())) flush();
      }, () => {});
    }
    onChange();
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

  /** Sends what is kept, newest first then the backlog; stops at the first failure. */
  function flush() {
    chain = chain.then(async () => {
      await ready();
      s.buffer = await sendTrail({ kv, api, lock, onBatch: (batch) => {
        s.lastSend = { at: now(), fix: batch[batch.length - 1] };
        s.sent.push(batch.length);
      } });
      onChange();
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
    reread,
    state: () => s,
    stop() { unwatch(); clearInterval(timer); doc.removeEventListener("visibilitychange", visibility); },
  };
}
