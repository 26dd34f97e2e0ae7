// The outbox (pages/static/shared/outbox.js) over the in-memory store: written before `queue`
// resolves, sent oldest first and exactly once, one Idempotency-Key per item for every retry,
// photos after their report with its id, failures kept and shown, back-off on no answer.
import assert from "node:assert/strict";
import { test } from "node:test";

import { backoffMs, classify, createOutbox, parseRetryAfter } from "../../pages/static/shared/outbox.js";
import { memoryStore } from "../../pages/static/shared/storage.js";

/** A fake server: answers from a script of statuses (default 201), records every request. */
function harness(script = []) {
  const h = { sent: [], clock: 1_000_000, n: 0, store: memoryStore() };
  h.send = async (item) => {
    h.sent.push({ url: item.url, key: item.key, kind: item.kind });
    const next = script.length ? script.shift() : 201;
    if (next === "throw") throw new TypeError("Failed to fetch");
    const [status, extra] = Array.isArray(next) ? next : [next, {}];
    return { status, body: extra.body ?? { id: "inc-" + item.url.length + "-" + h.sent.length }, retryAfter: extra.retryAfter ?? null };
  };
  h.outbox = createOutbox({ store: h.store, send: h.send, now: () => h.clock,
                            makeKey: () => "key-" + (++h.n) });
  return h;
}

test("an item is in the store when queue resolves, with its key and device time", async () => {
  const h = harness();
  await h.outbox.queue({ kind: "report", url: "/api/v1/incidents", json: { category: "power_cut" } });
  const [item] = await h.store.list();
  assert.equal(item.key, "key-1");
  assert.equal(item.device_time, new Date(1_000_000).toISOString());
  assert.equal(item.state, "queued");
  assert.equal(h.sent.length, 0);
});

test("sent oldest first, each once, and removed only after a 2xx", async () => {
  const h = harness([201, 200, 201]);
  for (const c of ["a", "b", "c"]) await h.outbox.queue({ kind: "report", url: "/x/" + c, json: {} });
  const s = await h.outbox.flush();
  assert.deepEqual(h.sent.map((x) => x.url), ["/x/a", "/x/b", "/x/c"]);
  assert.equal(s.sent, 3);
  assert.deepEqual(await h.store.list(), []);
  await h.outbox.flush();
  assert.equal(h.sent.length, 3);  // nothing twice
});

test("no answer: kept, the same key on every retry, later items wait behind it", async () => {
  const h = harness(["throw", 503, 201, 201]);
  await h.outbox.queue({ kind: "report", url: "/x/a", json: {} });
  await h.outbox.queue({ kind: "report", url: "/x/b", json: {} });
  let s = await h.outbox.flush();
  assert.equal(s.sent, 0);
  assert.equal(s.waiting, 2);
  assert.equal(s.nextAt, h.clock + 2000);
  assert.deepEqual(h.sent.map((x) => x.url), ["/x/a"]);
  // Not due yet: an ordinary flush sends nothing; a forced one (online, visible) does.
  s = await h.outbox.flush();
  assert.equal(h.sent.length, 1);
  s = await h.outbox.flush({ force: true });  // 503
  assert.equal(s.nextAt, h.clock + 4000);
  h.clock += 4000;
  s = await h.outbox.flush();
  assert.deepEqual(h.sent.map((x) => x.url), ["/x/a", "/x/a", "/x/a", "/x/b"]);
  assert.deepEqual(h.sent.filter((x) => x.url === "/x/a").map((x) => x.key), ["key-1", "key-1", "key-1"]);
  assert.equal(s.sent, 2);
  assert.deepEqual(await h.store.list(), []);
});

test("a refusal (4xx) marks the item failed with the server's problem and the rest go on", async () => {
  const problem = { title: "Unprocessable", errors: [{ field: "location", message: "outside" }] };
  const h = harness([[422, { body: problem }], 201]);
  await h.outbox.queue({ kind: "report", url: "/x/a", json: {} });
  await h.outbox.queue({ kind: "report", url: "/x/b", json: {} });
  const s = await h.outbox.flush();
  assert.equal(s.failed, 1);
  assert.equal(s.sent, 1);
  const [left] = await h.store.list();
  assert.equal(left.state, "failed");
  assert.equal(left.problem.status, 422);
  assert.equal(left.problem.errors[0].field, "location");
  await h.outbox.flush({ force: true });
  assert.equal(h.sent.length, 2);  // a failed item is never sent again by itself
  await h.outbox.retry(left.id);
  await h.outbox.flush();
  assert.equal(h.sent.length, 3);
  assert.equal(h.sent[2].key, left.key);  // the user's retry keeps its key
});

test("408 and 429 are retried, with the server's Retry-After when longer", async () => {
  assert.equal(classify(408), "retry");
  assert.equal(classify(429), "retry");
  assert.equal(classify(500), "retry");
  assert.equal(classify(0), "retry");
  assert.equal(classify(401), "auth");
  assert.equal(classify(404), "failed");
  assert.equal(classify(409), "failed");
  assert.equal(classify(200), "done");
  assert.equal(classify(204), "done");
  const h = harness([[429, { retryAfter: "30" }]]);
  await h.outbox.queue({ kind: "report", url: "/x/a", json: {} });
  const s = await h.outbox.flush();
  assert.equal(s.nextAt, h.clock + 30_000);
});

test("back-off doubles from 2 s up to 5 min; Retry-After wins when longer, up to an hour", () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffMs(n)), [2000, 4000, 8000, 16000]);
  assert.equal(backoffMs(8), 256_000);
  assert.equal(backoffMs(9), 300_000);
  assert.equal(backoffMs(50), 300_000);
  assert.equal(backoffMs(1, 1), 2000);
  assert.equal(backoffMs(1, 120), 120_000);
  assert.equal(backoffMs(1, 3600), 3_600_000);
  assert.equal(backoffMs(1, 3601), 3_600_000);
  assert.equal(parseRetryAfter("7", 0), 7);
  assert.equal(parseRetryAfter(null, 0), null);
  assert.equal(parseRetryAfter("soon", 0), null);
  assert.equal(parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 4000), 6);
});

test("photos go after their report, to its new id; a failing photo neither blocks nor drops it", async () => {
  const h = harness([[201, { body: { id: "C1" } }], [422, { body: { title: "bad photo" } }], 201, 201]);
  await h.outbox.queue({ kind: "report", url: "/api/v1/incidents", json: {} }, [
    { kind: "photo", url: "/api/v1/incidents/{parent}/photos", parts: [] },
    { kind: "photo", url: "/api/v1/incidents/{parent}/photos", parts: [] },
  ]);
  await h.outbox.queue({ kind: "report", url: "/api/v1/incidents", json: {} });
  const s = await h.outbox.flush();
  assert.deepEqual(h.sent.map((x) => x.url), ["/api/v1/incidents", "/api/v1/incidents/C1/photos",
                                              "/api/v1/incidents/C1/photos", "/api/v1/incidents"]);
  assert.equal(s.sent, 3);
  assert.equal(s.failed, 1);
  const left = await h.store.list();
  assert.equal(left.length, 1);
  assert.equal(left[0].kind, "photo");
  assert.equal(left[0].state, "failed");
  assert.equal(new Set(h.sent.map((x) => x.key)).size, 4);
});

test("a photo waits while its report has no answer, and fails with a refused report", async () => {
  const h = harness(["throw", [422, { body: { title: "no" } }]]);
  await h.outbox.queue({ kind: "report", url: "/r", json: {} }, [{ kind: "photo", url: "/r/{parent}/p", parts: [] }]);
  await h.outbox.flush();
  assert.deepEqual(h.sent.map((x) => x.url), ["/r"]);
  await h.outbox.flush({ force: true });
  assert.deepEqual(h.sent.map((x) => x.url), ["/r", "/r"]);
  const left = await h.store.list();
  assert.deepEqual(left.map((x) => [x.kind, x.state]), [["report", "failed"], ["photo", "failed"]]);
  assert.equal(left[1].problem.parent_failed, true);
  await h.outbox.discard(left[0].id);
  assert.deepEqual(await h.store.list(), []);
});

test("a 401 stops the flush, keeps everything and asks for sign-in", async () => {
  let asked = 0;
  const h = harness([401]);
  h.outbox = createOutbox({ store: h.store, send: h.send, now: () => h.clock, onAuth: () => { asked += 1; } });
  await h.outbox.queue({ kind: "report", url: "/a", json: {} });
  await h.outbox.queue({ kind: "report", url: "/b", json: {} });
  const s = await h.outbox.flush();
  assert.equal(s.auth, true);
  assert.equal(asked, 1);
  assert.equal(h.sent.length, 1);
  assert.equal((await h.store.list()).length, 2);
});

test("flushes asked for at once share one pass: nothing is sent twice", async () => {
  const h = harness();
  await h.outbox.queue({ kind: "report", url: "/a", json: {} });
  await Promise.all([h.outbox.flush(), h.outbox.flush(), h.outbox.flush({ force: true })]);
  assert.equal(h.sent.length, 1);
});

test("the page dying between a report's answer and its removal resends it under the same key", async () => {
  // The store refuses the deletion once (the tab was killed there): the next flush sends the
  // report again with its first key (the server replays it) and its photo once, to the same id.
  const h = harness([[201, { body: { id: "C9" } }], [200, { body: { id: "C9" } }], 201]);
  const realDelete = h.store.delete;
  let dies = true;
  h.store.delete = async (id) => { if (dies) { dies = false; throw new Error("killed"); } return realDelete(id); };
  await h.outbox.queue({ kind: "report", url: "/r", json: {} }, [{ kind: "photo", url: "/r/{parent}/p", parts: [] }]);
  await assert.rejects(h.outbox.flush());
  await h.outbox.flush();
  assert.deepEqual(h.sent.map((x) => [x.url, x.key]), [["/r", "key-1"], ["/r", "key-1"], ["/r/C9/p", "key-2"]]);
  assert.deepEqual(await h.store.list(), []);
});
