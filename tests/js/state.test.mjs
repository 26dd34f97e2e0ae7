// The command center's cases and view without the DOM (pages/command/static/state.js): one
// shape from the map's feature and from an incident, the store, the filters, the URL fragment.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createCases, fromFeature, fromIncident, readView, visible, writeView }
  from "../../pages/command/static/state.js";

const CLOCKS = {
  near_at: "2026-11-27T02:20:00Z", due: "2026-11-27T02:30:00Z", calm: "on_time",
  milestones: [{ milestone: "arrival", unit: "town", due: "2026-11-27T02:30:00Z",
                 near_at: "2026-11-27T02:20:00Z", done_at: null, on_time: null }],
};
const FEATURE = {
  type: "Feature", id: "c1", geometry: { type: "Point", coordinates: [112.55, 35.05] },
  properties: { case_number: "JY311-20261127-0001", category: "power_cut", status: "dispatched", territory: "town",
                received_at: "2026-11-27T02:00:00Z", green_channel: true,
                units: [{ code: "town", kind: "territory", accepted: true }, { code: "power", kind: "department", accepted: false }],
                state: "on_time", clocks: CLOCKS },
};
const INCIDENT = {
  id: "c1", case_number: "JY311-20261127-0001", category: "power_cut", status: "dispatched", description: "停电",
  location: { lat: 35.05, lon: 112.55 }, territory: { code: "town", name: "Town" },
  received_at: "2026-11-27T02:00:00Z", green_channel: true,
  units: [{ code: "town", name: "Town", accepted_at: "2026-11-27T02:01:00Z" }, { code: "power", name: "Power", accepted_at: null }],
  clocks: CLOCKS,
};

test("a feature and an incident make the same case", () => {
  const a = fromFeature(FEATURE, { town: "Town", power: "Power" }), b = fromIncident(INCIDENT);
  assert.deepEqual({ ...a, description: "" }, { ...b, description: "" });
  assert.equal(b.description, "停电");
  assert.deepEqual(a.units, [{ code: "town", name: "Town", accepted: true }, { code: "power", name: "Power", accepted: false }]);
  assert.equal(a.clocks.due, Date.parse("2026-11-27T02:30:00Z"));
  assert.equal(a.green, true);
});

test("a case is named by its case number, the short id only while it has none", () => {
  assert.equal(fromFeature(FEATURE).number, "JY311-20261127-0001");
  assert.equal(fromIncident(INCIDENT).number, "JY311-20261127-0001");
  const bare = { ...INCIDENT, id: "0123456789abcdef", case_number: undefined };
  assert.equal(fromIncident(bare).number, "01234567");
});

test("a unit not named yet shows its code", () => {
  assert.equal(fromFeature(FEATURE).territory, "town");
  assert.equal(fromFeature(FEATURE).units[1].name, "power");
});

test("the store keeps open cases and lets a closed one go", () => {
  const cases = createCases();
  assert.equal(cases.put(fromIncident(INCIDENT)), true);
  assert.deepEqual(cases.ids(), ["c1"]);
  assert.equal(cases.put(fromIncident({ ...INCIDENT, status: "closed" })), false);
  assert.equal(cases.size, 0);
  assert.equal(cases.get("c1"), undefined);
});

test("filters: unit, category, status, and overdue by the clocks at the time", () => {
  const c = fromIncident(INCIDENT), all = readView("");
  const due = Date.parse("2026-11-27T02:30:00Z");
  assert.equal(visible(c, all, 0), true);
  assert.equal(visible(c, { ...all, unit: "power" }, 0), true);
  assert.equal(visible(c, { ...all, unit: "water" }, 0), false);
  assert.equal(visible(c, { ...all, category: "water_cut" }, 0), false);
  assert.equal(visible(c, { ...all, status: "dispatched" }, 0), true);
  assert.equal(visible(c, { ...all, status: "on_site" }, 0), false);
  assert.equal(visible(c, { ...all, overdue: true }, due), false);
  assert.equal(visible(c, { ...all, overdue: true }, due + 1), true);
});

test("the view lives in the fragment, both ways", () => {
  assert.deepEqual(readView(""), { tab: "ops", unit: "", category: "", status: "", overdue: false, caseId: "" });
  const v = { tab: "stats", unit: "419001102", category: "water_cut", status: "on_site", overdue: true, caseId: "abc" };
  const hash = writeView(v);
  assert.equal(hash, "#view=stats&unit=419001102&category=water_cut&status=on_site&overdue=1&case=abc");
  assert.deepEqual(readView(hash), v);
  assert.equal(writeView(readView("")), "");
  assert.equal(readView("#view=nonsense&overdue=yes").tab, "ops");
  assert.equal(readView("#overdue=yes").overdue, false);
});
