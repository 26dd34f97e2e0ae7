// The view in the URL beyond state.js's (pages/command/static/urlstate.js): search, town, mine,
// page; and what they let through.
import assert from "node:assert/strict";
import { test } from "node:test";

import { passes, readFullView, writeFullView } from "../../pages/command/static/urlstate.js";

test("the default view is an empty fragment, and every part survives the round trip", () => {
  assert.equal(writeFullView(readFullView("")), "");
  const view = { tab: "ops", unit: "419001102", category: "power_cut", status: "", overdue: true,
                 caseId: "c1", q: "工厂 门口&x=1", town: "419001001", mine: true, page: 3 };
  const hash = writeFullView(view);
  assert.deepEqual(readFullView(hash), view);
  assert.ok(hash.includes("page=3") && hash.includes("mine=1"));
});

test("a hand-written fragment cannot break the view", () => {
  const v = readFullView("#page=-4&q=" + "x".repeat(300) + "&mine=yes");
  assert.equal(v.page, 1);
  assert.equal(v.q.length, 100);
  assert.equal(v.mine, false);
  assert.equal(readFullView("#page=abc").page, 1);
});

test("town, mine and the search narrow the cases", () => {
  const c = { id: "c1", territoryCode: "t1", units: [{ code: "t1", accepted: true }, { code: "power", accepted: false }], central: null };
  const base = { town: "", mine: false };
  const me = { unit: "power", userId: "u-me" };
  assert.ok(passes(c, base, me, null));
  assert.ok(passes(c, { ...base, town: "t1" }, me, null));
  assert.ok(!passes(c, { ...base, town: "t2" }, me, null));
  // Mine: my unit has not accepted it yet...
  assert.ok(passes(c, { ...base, mine: true }, me, null));
  assert.ok(!passes(c, { ...base, mine: true }, { unit: "t1", userId: "u-me" }, null));
  // ...or command assigned it to me by name.
  assert.ok(passes({ ...c, central: { person: "u-me" } }, { ...base, mine: true }, { unit: "t1", userId: "u-me" }, null));
  // The search: only what the server found.
  assert.ok(passes(c, base, me, new Set(["c1"])));
  assert.ok(!passes(c, base, me, new Set()));
});
