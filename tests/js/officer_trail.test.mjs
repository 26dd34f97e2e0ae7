// The officer's position trail (pages/static/shared/trail.js): what is kept (15 s or 25 m, at
// the limits and one step before), each fix once by its device time, and the order a backlog
// goes out in: the newest alone first, then the rest oldest first, with no fix sent twice.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BATCH_MAX, add, due, metres, nextBatch, shouldKeep, toFix, without } from "../../pages/static/shared/trail.js";

const LAT = 35.0208945, LON = 112.634031;
const T0 = Date.parse("2026-12-07T02:00:00Z");
const north = (m) => LAT + m / 111_195;
const fix = (s, m = 0) => ({ lat: north(m), lon: LON, accuracy_m: 10, crs: "wgs84",
                             recorded_at: new Date(T0 + s * 1000).toISOString() });

test("metres on the sphere", () => {
  assert.ok(Math.abs(metres(fix(0), fix(0, 25)) - 25) < 0.01);
  assert.equal(metres(fix(0), fix(0)), 0);
});

test("kept every 15 s or 25 m, not before", () => {
  assert.equal(shouldKeep(null, fix(0)), true);
  assert.equal(shouldKeep(fix(0), fix(14.9, 24.9)), false);
  assert.equal(shouldKeep(fix(0), fix(15)), true);
  assert.equal(shouldKeep(fix(0), fix(1, 25.01)), true);
  assert.equal(shouldKeep(fix(10), fix(10, 500)), false, "the same device time again");
  assert.equal(shouldKeep(fix(10), fix(5, 500)), false, "an older fix delivered late");
});

test("a fix is buffered once, in time order, and the oldest go beyond the cap", () => {
  let b = [];
  for (const s of [30, 0, 15, 30, 45]) b = add(b, fix(s));
  assert.deepEqual(b.map((f) => f.recorded_at), [0, 15, 30, 45].map((s) => fix(s).recorded_at));
  assert.deepEqual(add(b, fix(60), 3).map((f) => f.recorded_at), [30, 45, 60].map((s) => fix(s).recorded_at));
});

test("a backlog goes newest first, then oldest first, each fix once", () => {
  let buffer = [];
  for (let s = 0; s < 450 * 15; s += 15) buffer = add(buffer, fix(s, s / 15));  // 450 fixes
  const sent = [];
  let sentNewest = null;
  for (;;) {
    const batch = nextBatch(buffer, sentNewest);
    if (!batch.length) break;
    sent.push(batch.map((f) => f.recorded_at));
    buffer = without(buffer, batch);
    const newest = batch[batch.length - 1].recorded_at;
    if (sentNewest === null || newest > sentNewest) sentNewest = newest;
  }
  assert.deepEqual(sent[0], [fix(449 * 15).recorded_at], "the newest alone first");
  assert.deepEqual(sent.slice(1).map((b) => b.length), [BATCH_MAX, BATCH_MAX, 449 - 2 * BATCH_MAX]);
  assert.equal(sent[1][0], fix(0).recorded_at, "then the backlog from its oldest");
  const all = sent.flat();
  assert.equal(new Set(all).size, 450, "no fix twice, none left out");
});

test("a fix newer than the last sent goes alone before what is left of the backlog", () => {
  const buffer = [fix(0), fix(15), fix(30)];
  assert.deepEqual(nextBatch(buffer, fix(45).recorded_at), buffer);
  assert.deepEqual(nextBatch([...buffer, fix(60)], fix(45).recorded_at), [fix(60)]);
  assert.deepEqual(nextBatch([], null), []);
});

test("a batch is due after 15 s, or 25 m from the last one sent", () => {
  const last = { at: T0, fix: fix(0) };
  assert.equal(due([], null, T0), false);
  assert.equal(due([fix(1)], null, T0), true);
  assert.equal(due([fix(1, 24)], last, T0 + 14_999), false);
  assert.equal(due([fix(1, 24)], last, T0 + 15_000), true);
  assert.equal(due([fix(1, 25.01)], last, T0 + 1000), true);
});

test("a browser position becomes the API's fix", () => {
  const f = toFix({ coords: { latitude: LAT, longitude: LON, accuracy: 8.5 }, timestamp: T0 });
  assert.deepEqual(f, { lat: LAT, lon: LON, accuracy_m: 8.5, crs: "wgs84", recorded_at: "2026-12-07T02:00:00.000Z" });
  assert.equal(toFix({ coords: { latitude: 1, longitude: 2, accuracy: 3 }, timestamp: T0, mocked: true }).mock_location, true);
});
