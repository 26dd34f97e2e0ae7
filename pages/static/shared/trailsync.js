/* Sending the officer's kept position trail (trail.js's rules: the newest fix alone first, then
 * the backlog oldest first, each fix once) to POST /api/v1/officers/me/positions, by the page
 * (the officer app's tracker.js) and by the service worker on a Background Sync (swsync.js),
 * always before the outbox: the server judges an offline check-in against the positions it has
 * (README "Offline actions and device times"). The trail lives in the user's database (`kv`
 * keys `trail` and `trail.sent_newest`); every change is read-modify-write under one Web Lock
 * (`lock`, per user), so the page and the worker never send the same fix twice. */

import { add, nextBatch, without } from "./trail.js";

export const POSITIONS_URL = "/api/v1/officers/me/positions";

export async function readTrail(kv) {
  return { buffer: (await kv.get("trail")) || [], sentNewest: (await kv.get("trail.sent_newest")) || null };
}

/** Adds a fix to the kept trail; resolves to the trail. */
export function keepFix(kv, lock, fix) {
  return lock(async () => {
    const { buffer } = await readTrail(kv);
    const out = add(buffer, fix);
    if (out !== buffer) await kv.set("trail", out);
    return out;
  });
}

/** Sends the trail, one batch at a time, until it is empty or a request fails (the fixes stay
 * for the next try). A batch the server refuses as a whole (400/422: a device time outside its
 * window) is dropped, or it would hold every later fix for ever. `onBatch(batch)` after each
 * batch the server took. Resolves to the trail left. */
export function sendTrail({ kv, api, lock, onBatch = () => {} }) {
  return lock(async () => {
    let { buffer, sentNewest } = await readTrail(kv);
    for (;;) {
      const batch = nextBatch(buffer, sentNewest);
      if (!batch.length) break;
      let r;
      try {
        r = await api(POSITIONS_URL, { method: "POST", headers: { "Content-Type": "application/json" },
                                       body: JSON.stringify({ positions: batch }) });
      } catch {
        break;
      }
      if (!(r.ok || r.status === 400 || r.status === 422)) break;
      const newest = batch[batch.length - 1].recorded_at;
      buffer = without(buffer, batch);
      if (sentNewest === null || Date.parse(newest) > Date.parse(sentNewest)) sentNewest = newest;
      await kv.set("trail", buffer);
      await kv.set("trail.sent_newest", sentNewest);
      onBatch(batch);
    }
    return buffer;
  });
}

/** The lock's name for a user's trail (beside the outbox's, which is the database's name). */
export const trailLockName = (dbName) => dbName + ":trail";
