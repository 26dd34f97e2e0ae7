// Overdue alerts grouped per case (pages/command/static/alertgroups.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { alertKey, groupAlerts } from "../../pages/command/static/alertgroups.js";

test("one group a case with its count, the case with the latest alert first", () => {
  const alerts = [
    { incidentId: "road", unit: "town", milestone: "arrival", at: "2026-12-07T02:00:00Z" },
    { incidentId: "water", unit: "water", milestone: "arrival", at: "2026-12-07T02:01:00Z" },
    { incidentId: "road", unit: "police", milestone: "arrival", at: "2026-12-07T02:00:01Z" },
    { incidentId: "road", unit: "traffic", milestone: "arrival", at: "2026-12-07T02:00:02Z" },
  ];
  const groups = groupAlerts(alerts);
  assert.deepEqual(groups.map((g) => [g.incidentId, g.count]), [["water", 1], ["road", 3]]);
  assert.deepEqual(groups[1].items.map((a) => a.unit), ["town", "police", "traffic"]);
  assert.equal(groups[1].latest, "2026-12-07T02:00:02Z");
  assert.deepEqual(groupAlerts([]), []);
});

test("a notice's key: the same notice replayed is the same key, another deadline another", () => {
  const d = { incident_id: "c", data: { unit: "u", milestone: "arrival", due: "2026-12-07T02:00:00Z" } };
  assert.equal(alertKey(d), alertKey(JSON.parse(JSON.stringify(d))));
  assert.notEqual(alertKey(d), alertKey({ ...d, data: { ...d.data, due: "2026-12-08T02:00:00Z" } }));
});
