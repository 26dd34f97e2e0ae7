// The totals of the view (pages/command/static/totals.js): open, unaccepted, near, overdue, on
// site, overall, per unit (a case counts for each of its units) and per town; and their CSV.
import assert from "node:assert/strict";
import { test } from "node:test";

import { countTotals, tableRows, toCsv } from "../../pages/command/static/totals.js";

const CASES = [
  { id: "a", territoryCode: "t1", status: "dispatched", state: "near",
    units: [{ code: "t1", accepted: true }, { code: "power", accepted: false }] },
  { id: "b", territoryCode: "t1", status: "on_site", state: "on_time",
    units: [{ code: "t1", accepted: true }] },
  { id: "c", territoryCode: "t2", status: "dispatched", state: "overdue",
    units: [{ code: "t2", accepted: false }, { code: "power", accepted: false }] },
  { id: "d", territoryCode: "t2", status: "dispatched", state: "overdue",
    units: [{ code: "t2", accepted: false }] },
];

test("the counts of the cases shown, overall, per unit and per town", () => {
  const got = countTotals(CASES, (c) => c.state, (c) => c.id !== "d");
  assert.deepEqual(got.all, { open: 3, unaccepted: 2, near: 1, overdue: 1, on_site: 1 });
  assert.deepEqual(got.units.power, { open: 2, unaccepted: 2, near: 1, overdue: 1, on_site: 0 });
  assert.deepEqual(got.units.t1, { open: 2, unaccepted: 1, near: 1, overdue: 0, on_site: 1 });
  assert.deepEqual(got.towns.t2, { open: 1, unaccepted: 1, near: 0, overdue: 1, on_site: 0 });
  assert.equal(Object.keys(got.towns).length, 2);
});

test("the table puts the most overdue first, then the most open, named", () => {
  const got = countTotals(CASES, (c) => c.state, () => true);
  const rows = tableRows(got.towns, (code) => ({ t1: "轵城镇", t2: "克井镇" })[code]);
  assert.deepEqual(rows, [["克井镇", 2, 2, 0, 2, 0], ["轵城镇", 2, 1, 1, 0, 1]]);
});

test("the CSV is RFC 4180 with a BOM, a cell that a spreadsheet would run is quoted", () => {
  const csv = toCsv(["单位", "未办结"], [["轵城镇, 东", 2], ["=cmd", 1], ['a"b', 0]]);
  assert.equal(csv, '\ufeff单位,未办结\r\n"轵城镇, 东",2\r\n"=cmd",1\r\n"a""b",0\r\n');
});

test("the tally kept per change matches counting everything again", async () => {
  const { createTally } = await import("../../pages/command/static/totals.js");
  const tally = createTally(), now = new Map();
  const shown = (c) => c.id !== "d";
  const put = (c) => { now.set(c.id, c); tally.set(c.id, shown(c) ? c : null, c.state); };
  CASES.forEach(put);
  put({ ...CASES[0], state: "overdue", units: [{ code: "t1", accepted: true }, { code: "power", accepted: true }] });
  put({ ...CASES[2], status: "on_site" });
  now.delete("b");
  tally.set("b", null, null);
  const want = countTotals(now.values(), (c) => c.state, shown);
  assert.deepEqual(tally.current(), want);
});
