// The map's note of its base map and datum (pages/command/static/basemap.js's `describe`).
import assert from "node:assert/strict";
import { test } from "node:test";

import { describe } from "../../pages/command/static/basemap.js";

const W = { "basemap.tianditu": "底图：天地图", "basemap.amap": "底图：高德地图", "basemap.none": "无底图（演示）",
            "basemap.custom": "底图：自定义瓦片", "datum.wgs84": "坐标系 WGS-84",
            "datum.gcj02": "坐标系 GCJ-02（叠加已偏移）", "datum.cgcs2000": "坐标系 CGCS2000（≈WGS-84）" };
const t = (k) => W[k];

test("each base map says which it is and the datum the overlays are drawn in", () => {
  assert.deepEqual(describe({ provider: "tianditu", datum: "wgs84" }, t),
                   { provider: "tianditu", datum: "wgs84", text: "底图：天地图 · 坐标系 CGCS2000（≈WGS-84）" });
  assert.equal(describe({ provider: "amap", datum: "gcj02" }, t).text, "底图：高德地图 · 坐标系 GCJ-02（叠加已偏移）");
  assert.equal(describe({ provider: "custom", datum: "gcj02" }, t).text, "底图：自定义瓦片 · 坐标系 GCJ-02（叠加已偏移）");
  assert.equal(describe(null, t).text, "无底图（演示） · 坐标系 WGS-84");
});
