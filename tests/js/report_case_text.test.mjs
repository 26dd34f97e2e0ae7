// What the reporter reads of a case (pages/report/static/case-text.js): the number to read out,
// the units' progress, the milestones, an extension's reason, and when feedback is asked.
import assert from "node:assert/strict";
import { test } from "node:test";

import { byNewest, caseNumber, extensionLine, feedbackAsked, milestoneLines, unitLines } from "../../pages/report/static/case-text.js";

test("the case number when the server gives one, else the short id", () => {
  assert.equal(caseNumber({ id: "abcdef0123456789", case_number: "JY311-20261207-0042" }), "JY311-20261207-0042");
  assert.equal(caseNumber({ id: "abcdef0123456789" }), "abcdef01");
  assert.equal(caseNumber({ id: "abcdef0123456789", case_number: "" }), "abcdef01");
  assert.equal(caseNumber(null), "");
});

test("units: waiting, on the way (with a distance when the server gives one), arrived", () => {
  const c = { units: [
    { code: "419001102", name: "轵城镇", accepted_at: null, arrived_at: null },
    { code: "power_supply", name: "供电", accepted_at: "2026-12-07T04:00:00Z", arrived_at: null, distance_m: 812.4 },
    { code: "traffic_police", accepted_at: "2026-12-07T04:00:00Z", arrived_at: "2026-12-07T04:20:00Z" },
  ] };
  assert.deepEqual(unitLines(c), [
    { unit: "轵城镇", key: "case.unit_waiting", at: null },
    { unit: "供电", key: "case.unit_accepted", at: "2026-12-07T04:00:00Z", distance_m: 812 },
    { unit: "traffic_police", key: "case.unit_arrived", at: "2026-12-07T04:20:00Z" },
  ]);
  assert.equal(unitLines({ units: [{ code: "x", accepted_at: "t" }] })[0].distance_m, null);
});

test("milestones in order, the extension with its reason, feedback only when asked", () => {
  const c = { status: "resolved", milestones: { restored_at: "a", resolved_at: "b", closed_at: null },
              extension: { count: 1, reason: "等备件", deadline: "2026-12-20T00:00:00Z" },
              feedback: { requested_due: "2026-12-10T00:00:00Z", at: null } };
  assert.deepEqual(milestoneLines(c), [{ key: "case.restored", at: "a" }, { key: "case.resolved", at: "b" }]);
  assert.deepEqual(extensionLine(c), { until: "2026-12-20T00:00:00Z", reason: "等备件" });
  assert.equal(extensionLine({ extension: null }), null);
  assert.equal(feedbackAsked(c), true);
  assert.equal(feedbackAsked({ ...c, feedback: { ...c.feedback, at: "x" } }), false);
  assert.equal(feedbackAsked({ ...c, status: "closed" }), false);
  assert.equal(feedbackAsked({ status: "resolved", feedback: null }), false);
});

test("newest first", () => {
  const got = byNewest([{ id: 1, received_at: "2026-12-07T01:00:00Z" }, { id: 2, received_at: "2026-12-07T03:00:00Z" }]);
  assert.deepEqual(got.map((c) => c.id), [2, 1]);
});
