// What the check-in screen says before sending (pages/officer/static/checkin.js): the server's
// radius plus the fix's accuracy up to the server's cap, at the limit and one metre past it; a
// fix older than FRESH_S is not the fresh one a check-in needs; the server's refusal in words.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FRESH_S, judgeFix as judge, refusal } from "../../pages/officer/static/checkin.js";
import { metres } from "../../pages/static/shared/trail.js";

const judgeFix = (fix, site, rule, now) => judge(fix, site, rule, now, metres);

const SITE = { lat: 35.0208945, lon: 112.634031 };
const RULE = { radius_m: 200, accuracy_cap_m: 100 };
const NOW = Date.parse("2026-12-07T02:00:00Z");
const at = (m, accuracy = 10, ageS = 1) => ({ lat: SITE.lat + m / 111_195, lon: SITE.lon, accuracy_m: accuracy,
                                              recorded_at: new Date(NOW - ageS * 1000).toISOString() });

test("within the radius plus the accuracy, and one metre past it", () => {
  assert.deepEqual(judgeFix(at(100, 12), SITE, RULE, NOW),
                   { distance_m: 100, accuracy_m: 12, radius_m: 200, limit_m: 212, ok: true, why: null });
  assert.equal(judgeFix(at(209.9, 10), SITE, RULE, NOW).ok, true);
  const far = judgeFix(at(211, 10), SITE, RULE, NOW);
  assert.equal(far.ok, false);
  assert.equal(far.why, "far");
  assert.equal(judgeFix(at(1000), SITE, RULE, NOW).distance_m, 1000);
});

test("the accuracy counts only up to the server's cap", () => {
  assert.equal(judgeFix(at(299, 500), SITE, RULE, NOW).limit_m, 300);
  assert.equal(judgeFix(at(299, 500), SITE, RULE, NOW).ok, true);
  assert.equal(judgeFix(at(301, 500), SITE, RULE, NOW).ok, false);
  assert.equal(judgeFix(at(100, 10), SITE, { radius_m: 50, accuracy_cap_m: 20 }, NOW).why, "far");
});

test("a stale fix is not the fresh one a check-in needs", () => {
  assert.equal(judgeFix(at(0, 10, FRESH_S), SITE, RULE, NOW).ok, true);
  assert.equal(judgeFix(at(0, 10, FRESH_S + 1), SITE, RULE, NOW).why, "stale");
});

test("the server's refusal: the field's message first", () => {
  assert.equal(refusal({ status: 422, detail: "d", errors: [{ field: "location", message: "you are 1000 m from the site" }] }),
               "you are 1000 m from the site");
  assert.equal(refusal({ status: 409, detail: "incident is closed" }), "incident is closed");
  assert.equal(refusal({ status: 404, title: "Not Found" }), "Not Found");
  assert.equal(refusal(null), "");
});
