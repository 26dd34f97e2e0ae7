// A clock's colour from the server's instants (pages/command/static/clocks.js), at each
// instant, a millisecond before and after: the page compares, the server decides.
import assert from "node:assert/strict";
import { test } from "node:test";

import { caseState, milestoneState, nextChange, nextDue, parseClocks, unitClocks }
  from "../../pages/command/static/clocks.js";

const Z = (s) => Date.parse(s);
// As the server sends them (dispatch/board.py's instants_json): a power cut at 02:00 with two
// units, the town arrived at 02:05; arrival 02:30 (near 02:20), restore 03:00 (near 02:45).
const WIRE = {
  near_at: "2026-11-27T02:20:00Z", due: "2026-11-27T02:30:00Z", calm: "on_time",
  milestones: [
    { milestone: "arrival", unit: "town", due: "2026-11-27T02:30:00Z", near_at: "2026-11-27T02:20:00Z",
      done_at: "2026-11-27T02:05:00Z", on_time: true },
    { milestone: "arrival", unit: "power", due: "2026-11-27T02:30:00Z", near_at: "2026-11-27T02:20:00Z",
      done_at: null, on_time: null },
    { milestone: "restore", unit: null, due: "2026-11-27T03:00:00.000500Z", near_at: "2026-11-27T02:45:00Z",
      done_at: null, on_time: null },
    { milestone: "resolve", unit: null, due: "2026-12-04T02:00:00Z", near_at: "2026-12-03T02:00:00Z",
      done_at: null, on_time: null },
  ],
};
const K = parseClocks(WIRE);

test("the wire's instants become numbers; finer than a millisecond is cut", () => {
  assert.equal(K.nearAt, Z("2026-11-27T02:20:00Z"));
  assert.equal(K.due, Z("2026-11-27T02:30:00Z"));
  assert.equal(K.milestones[2].due, Z("2026-11-27T03:00:00Z"));
  assert.deepEqual(K.milestones[0], { name: "arrival", unit: "town", due: Z("2026-11-27T02:30:00Z"),
    nearAt: Z("2026-11-27T02:20:00Z"), doneAt: Z("2026-11-27T02:05:00Z"), onTime: true });
});

test("a deadline: on time, near from its warning, still near at the deadline, overdue after", () => {
  const m = K.milestones[1];
  assert.equal(milestoneState(m, m.nearAt - 1), "on_time");
  assert.equal(milestoneState(m, m.nearAt), "near");
  assert.equal(milestoneState(m, m.due), "near");
  assert.equal(milestoneState(m, m.due + 1), "overdue");
});

test("a met deadline is done, or done late, whatever the time", () => {
  assert.equal(milestoneState(K.milestones[0], Z("2027-01-01T00:00:00Z")), "done");
  const late = { ...K.milestones[0], onTime: false };
  assert.equal(milestoneState(late, 0), "late_done");
});

test("the case: near from its first warning, overdue strictly after its first deadline, else calm", () => {
  assert.equal(caseState(K, K.nearAt - 1), "on_time");
  assert.equal(caseState(K, K.nearAt), "near");
  assert.equal(caseState(K, K.due), "near");
  assert.equal(caseState(K, K.due + 1), "overdue");
});

test("the calm state is the server's: restored, or resolved with no instant at all", () => {
  const restored = parseClocks({ ...WIRE, near_at: "2026-12-03T02:00:00Z", due: "2026-12-04T02:00:00Z", calm: "restored" });
  assert.equal(caseState(restored, Z("2026-12-01T00:00:00Z")), "restored");
  assert.equal(caseState(restored, Z("2026-12-03T02:00:00Z")), "near");
  const solved = parseClocks({ ...WIRE, near_at: null, due: null, calm: "resolved" });
  assert.equal(caseState(solved, Z("2030-01-01T00:00:00Z")), "resolved");
  assert.equal(nextChange(solved, 0), null);
});

test("the page ignores its own idea of the warnings: only the instants sent count", () => {
  // The same deadline with the green channel's 2 minutes of warning, as the server sent it.
  const green = parseClocks({ ...WIRE, near_at: "2026-11-27T02:28:00Z" });
  assert.equal(caseState(green, Z("2026-11-27T02:25:00Z")), "on_time");
  assert.equal(caseState(K, Z("2026-11-27T02:25:00Z")), "near");
});

test("no clocks sent: nothing colours the case", () => {
  const none = parseClocks(undefined);
  assert.deepEqual(none, { nearAt: null, due: null, calm: "on_time", milestones: [] });
  assert.equal(caseState(none, 0), "on_time");
  assert.equal(nextDue(none), null);
});

test("the next deadline is the earliest unmet one, the first listed among equals", () => {
  assert.equal(nextDue(K), K.milestones[1]);
  const both = parseClocks({ ...WIRE, milestones: WIRE.milestones.map((m) => ({ ...m, done_at: null })) });
  assert.equal(nextDue(both), both.milestones[0]);
});

test("each unit's row: its own arrival and the case's restore and resolve", () => {
  const rows = unitClocks(K, [{ code: "town" }, { code: "power" }, { code: "latecomer" }]);
  assert.deepEqual(rows.map((r) => r.arrival && r.arrival.unit), ["town", "power", null]);
  assert.ok(rows.every((r) => r.restore === K.milestones[2] && r.resolve === K.milestones[3]));
});

test("the next change: the warning, then the first instant after the deadline", () => {
  assert.equal(nextChange(K, K.nearAt - 5), K.nearAt);
  assert.equal(nextChange(K, K.nearAt), K.due + 1);
  assert.equal(nextChange(K, K.due), K.due + 1);
  assert.equal(nextChange(K, K.due + 1), null);
});
