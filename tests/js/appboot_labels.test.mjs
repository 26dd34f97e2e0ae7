import { test } from "node:test";
import assert from "node:assert/strict";
import { loadKeptLabels } from "../../pages/static/shared/appboot.js";

/** A kv whose reads answer only after `delayMs`: the refresh's failure comes first. */
function slowKv(value, delayMs = 30) {
  return { get: () => new Promise((r) => setTimeout(() => r(value), delayMs)),
           set: async () => {} };
}

test("offline with a kept catalogue: the kept one serves and the failed refresh is handled", async () => {
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  const realFetch = globalThis.fetch;
  globalThis.fetch = () => Promise.reject(new TypeError("Failed to fetch"));
  try {
    const kept = { default: "zh", labels: { zh: { categories: { power_cut: "停电" } } } };
    const labels = await loadKeptLabels(slowKv(kept), "zh");
    assert.equal(labels.lang, "zh");
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(unhandled, []);
  } finally {
    globalThis.fetch = realFetch;
    process.off("unhandledRejection", onUnhandled);
  }
});

test("offline with nothing kept: the failure reaches the caller", async () => {
  const realFetch = globalThis.fetch;
  globalThis.fetch = () => Promise.reject(new TypeError("Failed to fetch"));
  try {
    await assert.rejects(loadKeptLabels(slowKv(null), "zh"), /Failed to fetch/);
  } finally {
    globalThis.fetch = realFetch;
  }
});
