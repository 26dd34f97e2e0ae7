// The tiles' datum shift (pages/static/shared/datum.js) against geo/crs.py's wgs84_to_gcj02:
// these answers were printed by that module, to the last digit.
import assert from "node:assert/strict";
import { test } from "node:test";

import { displayer, inChina, wgs84ToGcj02 } from "../../pages/static/shared/datum.js";

const PYTHON = [
  [[112.5, 35.1], [112.50615075382557, 35.0993497510822]],
  [[112.0, 35.0], [112.00619650720351, 34.999229593312215]],
  [[116.397, 39.909], [116.40324350604497, 39.91040339728811]],
  [[121.47, 31.23], [121.47453490044272, 31.22806748194233]],
];

test("the shift is geo/crs.py's to a nanodegree", () => {
  for (const [[lon, lat], [gLon, gLat]] of PYTHON) {
    const [x, y] = wgs84ToGcj02(lon, lat);
    assert.ok(Math.abs(x - gLon) < 1e-9 && Math.abs(y - gLat) < 1e-9, `${lon},${lat}: ${x},${y}`);
  }
});

test("outside China's box a point is not moved, at the box's edges and one step past", () => {
  assert.deepEqual(wgs84ToGcj02(2.35, 48.85), [2.35, 48.85]);
  assert.equal(inChina(72.004, 30), true);
  assert.equal(inChina(72.003, 30), false);
  assert.equal(inChina(137.8347, 30), true);
  assert.equal(inChina(137.8348, 30), false);
  assert.equal(inChina(100, 55.8271), true);
  assert.equal(inChina(100, 55.8272), false);
  assert.equal(inChina(100, 0.8293), true);
  assert.equal(inChina(100, 0.8292), false);
});

test("the display projection takes and gives [lat, lon], shifted only for gcj02 tiles", () => {
  assert.deepEqual(displayer("wgs84")(35.1, 112.5), [35.1, 112.5]);
  assert.deepEqual(displayer(undefined)(35.1, 112.5), [35.1, 112.5]);
  const [lat, lon] = displayer("gcj02")(35.1, 112.5);
  assert.ok(Math.abs(lat - 35.0993497510822) < 1e-9 && Math.abs(lon - 112.50615075382557) < 1e-9);
});
