// Opening the site in the phone's map app (pages/officer/static/maplinks.js): a geo: link in
// WGS-84 and AMap's link in GCJ-02, converted by the shared datum module.
import assert from "node:assert/strict";
import { test } from "node:test";

import { wgs84ToGcj02 } from "../../pages/static/shared/datum.js";
import { amapLink, geoLink } from "../../pages/officer/static/maplinks.js";

const LAT = 35.0208945, LON = 112.634031;

test("geo: in WGS-84 with a label", () => {
  assert.equal(geoLink(LAT, LON, "断电 JY311-20261207-0001"),
               "geo:35.020895,112.634031?q=35.020895,112.634031(%E6%96%AD%E7%94%B5%20JY311-20261207-0001)");
  assert.equal(geoLink(LAT, LON), "geo:35.020895,112.634031?q=35.020895,112.634031");
});

test("AMap in GCJ-02, hundreds of metres from the WGS-84 point", () => {
  const url = new URL(amapLink(LAT, LON, "现场", wgs84ToGcj02));
  assert.equal(url.host, "uri.amap.com");
  assert.equal(url.searchParams.get("coordinate"), "gaode");
  const [glon, glat] = url.searchParams.get("position").split(",").map(Number);
  const [wlon, wlat] = wgs84ToGcj02(LON, LAT);
  assert.ok(Math.abs(glon - wlon) < 1e-6 && Math.abs(glat - wlat) < 1e-6);
  assert.ok(Math.abs(glon - LON) > 0.003, "converted, not the WGS-84 point");
  assert.equal(url.searchParams.get("name"), "现场");
});
