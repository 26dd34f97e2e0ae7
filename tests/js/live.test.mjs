// The /live link's ordering (pages/static/shared/live.js's createSequencer): once each, in seq
// order, with what arrives during a resync held back and applied after it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createSequencer } from "../../pages/static/shared/live.js";

function recorder(seq = 0) {
  const applied = [];
  const s = createSequencer({ seq, apply: (name, d) => applied.push([name, d.officer_id ?? d.seq]) });
  return { s, applied };
}
const ev = (seq) => ({ seq, incident_id: "c" });

test("an event at or below the last applied is a copy and is dropped", () => {
  const { s, applied } = recorder(5);
  s.receive("incident.updated", ev(5));
  s.receive("incident.updated", ev(6));
  s.receive("incident.updated", ev(6));
  s.receive("incident.updated", ev(4));
  assert.deepEqual(applied, [["incident.updated", 6]]);
  assert.equal(s.lastSeq(), 6);
});

test("the map's read moves the start; a later read never moves it back", () => {
  const { s, applied } = recorder();
  s.advance(10);
  s.advance(3);
  s.receive("task.offered", ev(10));
  s.receive("task.offered", ev(11));
  assert.deepEqual(applied, [["task.offered", 11]]);
});

test("during a resync live events wait, then follow the replay in seq order", () => {
  const { s, applied } = recorder(1);
  s.hold();
  s.receive("incident.updated", ev(5));
  s.receive("incident.updated", ev(4));
  s.replay([{ event: "incident.updated", data: ev(2) }, { event: "incident.overdue", data: ev(3) },
            { event: "incident.updated", data: ev(4) }]);
  assert.deepEqual(applied.map((a) => a[1]), [2, 3, 4]);
  s.release();
  assert.deepEqual(applied.map((a) => a[1]), [2, 3, 4, 5]);
  s.receive("incident.updated", ev(6));
  assert.deepEqual(applied.map((a) => a[1]), [2, 3, 4, 5, 6]);
});

test("positions have no seq of the log: applied at once, even during a resync", () => {
  const { s, applied } = recorder(9);
  s.hold();
  s.receive("officer.position", { seq: 1, officer_id: "o1" });
  assert.deepEqual(applied, [["officer.position", "o1"]]);
  s.release();
  assert.equal(s.lastSeq(), 9);
});

test("what is not an event is ignored", () => {
  const { s, applied } = recorder();
  for (const junk of [null, undefined, "x", 3, { seq: "7" }, {}]) s.receive("incident.updated", junk);
  s.replay([null, { event: "incident.updated" }]);
  assert.deepEqual(applied, []);
});
