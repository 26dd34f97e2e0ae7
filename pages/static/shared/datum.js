/* WGS-84 -> GCJ-02 for drawing over Chinese tile services (AMap, Tencent), the same published
 * formula as geo/crs.py's wgs84_to_gcj02 (tests/js/datum.test.mjs holds it to that module's
 * answers, and a browser test to the tiles' pixels). The API stores and returns WGS-84; only the
 * drawing is shifted, and only when the tiles are GCJ-02. Pure. */

const A = 6378245.0, EE = 0.006693421622965943;  // geo/crs.py's 0.00669342162296594323, as a double
const LON_MIN = 72.004, LON_MAX = 137.8347, LAT_MIN = 0.8293, LAT_MAX = 55.8271;

export function inChina(lon, lat) {
  return lon >= LON_MIN && lon <= LON_MAX && lat >= LAT_MIN && lat <= LAT_MAX;
}

/** [lon, lat] in GCJ-02 for a WGS-84 point; the point itself outside China's box. */
export function wgs84ToGcj02(lon, lat) {
  if (!inChina(lon, lat)) return [lon, lat];
  const x = lon - 105.0, y = lat - 35.0, PI = Math.PI, s = Math.sqrt(Math.abs(x));
  let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * s
    + (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0
    + (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0
    + (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
  let dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * s
    + (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0
    + (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0
    + (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
  const radLat = lat / 180.0 * PI;
  const magic = 1.0 - EE * Math.sin(radLat) * Math.sin(radLat);
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtMagic) * PI);
  dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
  return [lon + dLon, lat + dLat];
}

/** A display projection for the tiles' datum: (lat, lon) in WGS-84 -> the [lat, lon] to hand to
 * Leaflet ("gcj02" shifts; anything else draws as is). */
export function displayer(datum) {
  if (datum === "gcj02") {
    return (lat, lon) => { const p = wgs84ToGcj02(lon, lat); return [p[1], p[0]]; };
  }
  return (lat, lon) => [lat, lon];
}
