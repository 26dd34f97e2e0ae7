// The board's order kept per change (pages/command/static/order.js): after any sequence of
// changes, the same order as sorting everything again (attention.js's orderByAttention).
import assert from "node:assert/strict";
import { test } from "node:test";

import { orderByAttention } from "../../pages/command/static/attention.js";
import { createOrder, entryOf } from "../../pages/command/static/order.js";

const T = Date.parse("2026-12-07T02:00:00Z");
const min = 60e3;

function aCase(id, r) {
  const due = Math.floor(r() * 120) - 30, near = due - 10;
  const status = ["reported", "dispatched", "on_site"][Math.floor(r() * 3)];
  return {
    id, status, receivedAt: "2026-12-07T01:" + String(Math.floor(r() * 60)).padStart(2, "0") + ":00Z",
    units: [{ code: "u0", accepted: r() < 0.5 }, { code: "u1", accepted: r() < 0.5 }],
    clocks: { nearAt: T + near * min, due: T + due * min, calm: "on_time",
              milestones: [{ name: "arrival", unit: "u0", due: T + due * min, nearAt: T + near * min, doneAt: null }] },
  };
}

function random(seed) {
  let s = seed;
  return () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
}

test("changes one by one give the order of sorting everything", () => {
  const r = random(17), cases = new Map(), pins = new Set(), pinnedAt = new Map();
  const order = createOrder(), shown = (c) => c.status !== "on_site" || c.id.endsWith("1");
  for (let i = 0; i < 300; i += 1) cases.set("c" + i, aCase("c" + i, r));
  order.reset(Array.from(cases.values()).filter(shown).map((c) => entryOf(c, T, pins, pinnedAt)));
  for (let step = 0; step < 2000; step += 1) {
    const id = "c" + Math.floor(r() * 320), roll = r();
    if (roll < 0.1) { pins.add(id); pinnedAt.set(id, step); }
    if (roll < 0.2 && cases.has(id)) { cases.delete(id); order.set(id, null); continue; }
    const c = aCase(id, r);
    cases.set(id, c);
    order.set(id, shown(c) ? entryOf(c, T, pins, pinnedAt) : null);
  }
  const want = orderByAttention(Array.from(cases.values()).filter(shown), T, pins, pinnedAt);
  assert.deepEqual(order.slice(0, order.size).map((c) => c.id), want.map((c) => c.id));
  assert.equal(order.size, want.length);
});
