/* The officer's position trail while a task is active: which fixes are kept, when a batch is
 * due, and in what order a backlog goes out. Pure (tests/js/officer_trail.test.mjs). It is in the
 * shared layer because the service worker sends the trail too (trailsync.js, before the outbox,
 * on a Background Sync): the officer app's tracker.js feeds it the browser's fixes.
 *
 * Why newest first: Traccar's client sends a backlog oldest first, and after a tunnel the
 * command map shows where the officer was ten minutes ago until the whole backlog is through.
 * Here the newest fix goes alone in the first request (command's map is right at once), then the
 * backlog, oldest first in batches of at most BATCH_MAX. A fix is known by its device time
 * (`recorded_at`): it is kept once, leaves the buffer only when the server took a batch holding
 * it, and the server stores each (officer, recorded_at) once, so a batch whose answer was lost
 * and is sent again makes no duplicate. */

export const KEEP_EVERY_S = 15;   // a fix is kept at least this often while standing still...
export const KEEP_EVERY_M = 25;   // ...or as soon as the officer moved this far from the last one
export const BATCH_MAX = 200;     // fixes per request (the server takes up to 500)
export const BUFFER_MAX = 5000;   // about 21 h at one fix every 15 s; the oldest go first beyond

/** Metres between two WGS-84 points (haversine on a 6,371 km sphere): for the keeping rule and
 * for display only; the server measures on the ellipsoid and decides. */
export function metres(a, b) {
  const rad = Math.PI / 180, R = 6371008.8;
  const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A browser GeolocationPosition (or its plain copy) as the API's fix: WGS-84, its accuracy and
 * its device time; `mock_location` only where the phone says (no browser does today). */
export function toFix(pos) {
  const c = pos.coords;
  const fix = { lat: c.latitude, lon: c.longitude, accuracy_m: Math.min(Math.max(c.accuracy || 0, 0), 100000),
                crs: "wgs84", recorded_at: new Date(pos.timestamp).toISOString() };
  if (typeof pos.mocked === "boolean") fix.mock_location = pos.mocked;
  return fix;
}

/** Whether `fix` is worth keeping after `last` (the last kept one, or null). */
export function shouldKeep(last, fix, { everyS = KEEP_EVERY_S, everyM = KEEP_EVERY_M } = {}) {
  if (!last) return true;
  const dt = (Date.parse(fix.recorded_at) - Date.parse(last.recorded_at)) / 1000;
  if (dt <= 0) return false;  // the same fix again, or an older one delivered late
  return dt >= everyS || metres(last, fix) >= everyM;
}

/** The buffer with `fix` added once (by its device time), in time order, capped. */
export function add(buffer, fix, max = BUFFER_MAX) {
  if (buffer.some((f) => f.recorded_at === fix.recorded_at)) return buffer;
  const out = [...buffer, fix].sort((a, b) => Date.parse(a.recorded_at) - Date.parse(b.recorded_at));
  return out.length > max ? out.slice(out.length - max) : out;
}

/** The next batch to send: the newest fix alone when it has not been sent (`sentNewest` is the
 * device time of the newest fix the server has), else the oldest of the backlog. */
export function nextBatch(buffer, sentNewest = null, max = BATCH_MAX) {
  if (!buffer.length) return [];
  const newest = buffer[buffer.length - 1];
  if (sentNewest === null || Date.parse(newest.recorded_at) > Date.parse(sentNewest)) return [newest];
  return buffer.slice(0, max);
}

/** The buffer without the fixes the server took. */
export function without(buffer, batch) {
  const sent = new Set(batch.map((f) => f.recorded_at));
  return buffer.filter((f) => !sent.has(f.recorded_at));
}

/** Whether a batch should go now: something is buffered and either KEEP_EVERY_S passed since
 * the last send or the newest fix is KEEP_EVERY_M from the last one sent. */
export function due(buffer, lastSend, nowMs, { everyS = KEEP_EVERY_S, everyM = KEEP_EVERY_M } = {}) {
  if (!buffer.length) return false;
  if (!lastSend) return true;
  if (nowMs - lastSend.at >= everyS * 1000) return true;
  return metres(lastSend.fix, buffer[buffer.length - 1]) >= everyM;
}
