// The board's order by what needs attention and its pages (pages/command/static/attention.js):
// a pinned new report first, then overdue, near, new, unaccepted, the rest; within each by the
// next deadline; pages that reach every case.
import assert from "node:assert/strict";
import { test } from "node:test";

import { PAGE_SIZE, attention, orderByAttention, pageOf } from "../../pages/command/static/attention.js";

const T = Date.parse("2026-12-07T02:00:00Z");
const min = 60e3;

function aCase(id, { due = 60, near = 50, status = "dispatched", accepted = [false], received = "2026-12-07T01:00:00Z" } = {}) {
  return {
    id, status, receivedAt: received,
    units: accepted.map((a, i) => ({ code: "u" + i, accepted: a })),
    clocks: { nearAt: T + near * min, due: T + due * min, calm: "on_time",
              milestones: [{ name: "arrival", unit: "u0", due: T + due * min, nearAt: T + near * min, doneAt: null }] },
  };
}

test("each case's reason to be where it is", () => {
  assert.equal(attention(aCase("a", { due: -1, near: -10 }), T), "overdue");
  assert.equal(attention(aCase("a", { due: 5, near: -1 }), T), "near");
  assert.equal(attention(aCase("a"), T), "new");
  assert.equal(attention(aCase("a", { accepted: [true, false] }), T), "unaccepted");
  assert.equal(attention(aCase("a", { accepted: [true, true] }), T), "other");
  assert.equal(attention(aCase("a", { status: "on_site", accepted: [true, false] }), T), "other");
  // Pinned beats everything, even overdue.
  assert.equal(attention(aCase("a", { due: -1, near: -10 }), T, new Set(["a"])), "pinned");
});

test("the order: pinned (newest first), overdue, near, new, unaccepted, the rest; then by deadline", () => {
  const cases = [
    aCase("rest", { accepted: [true], due: 1, near: 0.5 + 100 }),
    aCase("unacc-late", { accepted: [true, false], due: 90, near: 80 }),
    aCase("unacc-soon", { accepted: [true, false], due: 70, near: 60 }),
    aCase("new", { due: 30, near: 20 }),
    aCase("near", { due: 5, near: -1 }),
    aCase("over-2", { due: -1, near: -10 }),
    aCase("over-1", { due: -20, near: -30 }),
    aCase("pin-old"), aCase("pin-new", { due: -50, near: -60 }),
  ];
  const pinned = new Set(["pin-old", "pin-new"]);
  const at = new Map([["pin-old", 1], ["pin-new", 2]]);
  assert.deepEqual(orderByAttention(cases, T, pinned, at).map((c) => c.id),
                   ["pin-new", "pin-old", "over-1", "over-2", "near", "new", "unacc-soon", "unacc-late", "rest"]);
  // The input is left as it was.
  assert.equal(cases[0].id, "rest");
});

test("equal deadlines: the earlier received first, then by id, so the order is stable", () => {
  const a = aCase("b", { received: "2026-12-07T01:00:00Z" }), b = aCase("a", { received: "2026-12-07T01:00:00Z" });
  const c = aCase("c", { received: "2026-12-07T00:59:00Z" });
  assert.deepEqual(orderByAttention([a, b, c], T).map((x) => x.id), ["c", "a", "b"]);
});

test("the pages reach every case: 502 cases are 1-200, 201-400, 401-502", () => {
  assert.equal(PAGE_SIZE, 200);
  assert.deepEqual(pageOf(502, 1), { page: 1, pages: 3, start: 0, end: 200, first: 1 });
  assert.deepEqual(pageOf(502, 3), { page: 3, pages: 3, start: 400, end: 502, first: 401 });
  // A page past the end (cases were closed meanwhile) shows the last; a nonsense page the first.
  assert.equal(pageOf(150, 3).page, 1);
  assert.equal(pageOf(502, 9).page, 3);
  assert.equal(pageOf(502, "x").page, 1);
  assert.deepEqual(pageOf(0, 1), { page: 1, pages: 1, start: 0, end: 0, first: 0 });
});
