// The reporter app's distances (pages/report/static/geo.js): the 50 m around a new report (at
// the limit and past it), the box asked of the server, and WeChat's GCJ-02 turned back.
import assert from "node:assert/strict";
import { test } from "node:test";

import { wgs84ToGcj02 } from "../../pages/static/shared/datum.js";
import { NEARBY_M, bboxAround, distanceM, gcj02ToWgs84, within } from "../../pages/report/static/geo.js";

const LAT = 35.0208945, LON = 112.634031;  // 轵城镇's seat
const north = (m) => LAT + m / 111_195;     // metres north, on the mean sphere

test("50 m, at the limit and one metre past it", () => {
  assert.equal(NEARBY_M, 50);
  const at = (m, id) => ({ id, location: { lat: north(m), lon: LON } });
  const got = within([at(51, "far"), at(49.9, "in"), at(0, "here")], LAT, LON);
  assert.deepEqual(got.map((x) => x.c.id), ["here", "in"]);
  assert.ok(Math.abs(distanceM(LAT, LON, north(50), LON) - 50) < 0.01);
});

test("the box holds the circle", () => {
  const [w, s, e, n] = bboxAround(LAT, LON, 50);
  assert.ok(s < north(-49.9) && n > north(49.9));
  assert.ok(distanceM(LAT, w, LAT, LON) >= 49.9 && distanceM(LAT, e, LAT, LON) >= 49.9);
  assert.ok(distanceM(LAT, w, LAT, LON) < 50.1);
});

test("GCJ-02 back to WGS-84 within centimetres", () => {
  const [glon, glat] = wgs84ToGcj02(LON, LAT);
  assert.ok(distanceM(LAT, LON, glat, glon) > 100);  // the shift is hundreds of metres
  const [lon, lat] = gcj02ToWgs84(glon, glat, wgs84ToGcj02);
  assert.ok(distanceM(LAT, LON, lat, lon) < 0.05);
});
