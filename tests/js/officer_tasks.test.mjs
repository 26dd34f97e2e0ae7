// The officer's tasks (pages/officer/static/tasks.js): only the unit's open cases, not yet taken
// first; the next action follows the server's state and what is queued on the phone; tracking
// only for a task this officer took and that is not solved.
import assert from "node:assert/strict";
import { test } from "node:test";

import { active, caseOf, isTask, nextAction, ordered, stage } from "../../pages/officer/static/tasks.js";

const U = "419001102";
const unit = (over = {}) => ({ code: U, name: "轵城镇", accepted_at: null, accepted_by: null, arrived_at: null,
                               arrival_due: "2026-12-07T02:30:00Z", ...over });
const c = (id, status, u = {}, more = {}) => ({ id, case_number: "JY311-20261207-" + id, status,
                                                received_at: "2026-12-07T02:00:00Z",
                                                units: [unit(u), { code: "power_supply" }], ...more });

test("only the unit's open cases are tasks", () => {
  assert.equal(isTask(c("1", "dispatched"), U), true);
  assert.equal(isTask(c("1", "closed"), U), false);
  assert.equal(isTask(c("1", "resolved"), U), false);
  assert.equal(isTask({ ...c("1", "dispatched"), units: [{ code: "419001100" }] }, U), false);
});

test("the stage and the next action follow the case", () => {
  assert.equal(nextAction(c("1", "dispatched"), U), "accept");
  const taken = c("1", "dispatched", { accepted_at: "x", accepted_by: "me" });
  assert.equal(stage(taken, U), "accepted");
  assert.equal(nextAction(taken, U), "check-in");
  const there = c("1", "on_site", { accepted_at: "x", arrived_at: "y" });
  assert.equal(nextAction(there, U), "restore");
  assert.equal(nextAction(c("1", "restored", { accepted_at: "x", arrived_at: "y" }), U), "resolve");
  assert.equal(nextAction(c("1", "reopened", { accepted_at: "x", arrived_at: "y" }), U), "resolve");
  assert.equal(nextAction(c("1", "resolved", { accepted_at: "x", arrived_at: "y" }), U), null);
});

test("what is queued moves the next action on, never backwards", () => {
  const fresh = c("1", "dispatched");
  assert.equal(nextAction(fresh, U, ["accept"]), "check-in");
  assert.equal(nextAction(fresh, U, ["accept", "check-in"]), "restore");
  assert.equal(nextAction(fresh, U, ["accept", "check-in", "restore"]), "resolve");
  assert.equal(nextAction(fresh, U, ["accept", "check-in", "restore", "resolve"]), null);
});

test("not yet taken first, then by the arrival deadline", () => {
  const list = [c("3", "on_site", { accepted_at: "x", arrived_at: "y", arrival_due: "2026-12-07T02:10:00Z" }),
                c("2", "dispatched", { arrival_due: "2026-12-07T03:00:00Z" }),
                c("1", "dispatched", { accepted_at: "x", arrival_due: "2026-12-07T02:05:00Z" }),
                c("9", "closed")];
  assert.deepEqual(ordered(list, U).map((x) => x.id), ["2", "1", "3"]);
});

test("tracking only for my taken, unsolved task", () => {
  assert.equal(active(c("1", "dispatched", { accepted_at: "x", accepted_by: "me" }), U, "me"), true);
  assert.equal(active(c("1", "dispatched", { accepted_at: "x", accepted_by: "other" }), U, "me"), false);
  assert.equal(active(c("1", "resolved", { accepted_at: "x", accepted_by: "me" }), U, "me"), false);
  assert.equal(active(c("1", "dispatched"), U, "me"), false);
});

test("a queued item's case, from its url", () => {
  assert.equal(caseOf({ url: "/api/v1/incidents/abc-1/check-in" }), "abc-1");
  assert.equal(caseOf({ url: "/api/v1/incidents/abc-1/photos" }), "abc-1");
  assert.equal(caseOf({ url: "/api/v1/incidents/{parent}/photos" }), "{parent}");
  assert.equal(caseOf({ url: "/api/v1/officers/me/positions" }), null);
});
