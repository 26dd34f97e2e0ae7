import { test } from "node:test";
import assert from "node:assert/strict";
import { createPins } from "../../pages/command/static/pins.js";

function memoryStore(init = {}) {
  const data = new Map(Object.entries(init));
  let writes = 0;
  return { getItem: (k) => (data.has(k) ? data.get(k) : null),
           setItem: (k, v) => { writes += 1; data.set(k, v); },
           writes: () => writes, data };
}

test("a pinned report survives a reload of the tab, and a replay does not sound it again", () => {
  const store = memoryStore();
  const a = createPins(store);
  a.pin("c1", 1000);
  assert.equal(a.chimed("c1"), true);
  a.flush();
  const b = createPins(store);
  assert.deepEqual([...b.pinned], [["c1", 1000]]);
  assert.equal(b.chimed("c1"), true);
  assert.equal(b.chimed("c2"), false);
});

test("writes at most once per flush, and not at all when nothing changed", () => {
  const store = memoryStore();
  const p = createPins(store);
  for (let i = 0; i < 10; i += 1) p.pin(`c${i}`, i);
  assert.equal(store.writes(), 0);
  p.flush();
  assert.equal(store.writes(), 2);
  p.flush();
  assert.equal(store.writes(), 2);
  assert.equal(p.unpin("nope"), false);
  p.flush();
  assert.equal(store.writes(), 2);
  assert.equal(p.unpin("c3"), true);
  p.flush();
  assert.equal(store.writes(), 4);
  assert.equal(createPins(store).pinned.has("c3"), false);
});

test("opening a report unpins it but it stays sounded", () => {
  const store = memoryStore();
  const p = createPins(store);
  p.pin("c1", 5);
  p.unpin("c1");
  p.flush();
  const q = createPins(store);
  assert.equal(q.pinned.size, 0);
  assert.equal(q.chimed("c1"), true);
});

test("the sounded list keeps the last 500 and a damaged store starts empty", () => {
  const store = memoryStore();
  const p = createPins(store);
  for (let i = 0; i < 501; i += 1) p.pin(`c${i}`, i);
  p.flush();
  const q = createPins(store);
  assert.equal(q.chimed("c0"), false);
  assert.equal(q.chimed("c1"), true);
  assert.equal(q.chimed("c500"), true);
  const broken = createPins(memoryStore({ "new-pinned": "{not json", "new-chimed": "[" }));
  assert.equal(broken.pinned.size, 0);
  assert.equal(broken.chimed("x"), false);
});
