/* Distances and boxes on the phone, for drawing and for asking the server: the 50 m around a
 * new report in which an open case of the same kind is shown ("follow this case"), and a WeChat
 * GCJ-02 fix turned back to WGS-84 to draw it on the map (the API converts the sent coordinates
 * itself: the app sends them with their datum). Pure (tests/js/report_geo.test.mjs). */

export const NEARBY_M = 50;
const R = 6371008.8;  // the mean Earth radius, as geo/ uses for distances

export function distanceM(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180, dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** [minLon, minLat, maxLon, maxLat] holding the circle of `m` metres around the point. */
export function bboxAround(lat, lon, m) {
  const dLat = (m / R) * (180 / Math.PI);
  const dLon = dLat / Math.max(1e-6, Math.cos((lat * Math.PI) / 180));
  return [lon - dLon, lat - dLat, lon + dLon, lat + dLat];
}

/** The cases within `m` metres of the point, nearest first, with their distance. */
export function within(cases, lat, lon, m = NEARBY_M) {
  return cases
    .map((c) => ({ c, d: distanceM(lat, lon, c.location.lat, c.location.lon) }))
    .filter((x) => x.d <= m)
    .sort((a, b) => a.d - b.d);
}

/** GCJ-02 -> WGS-84 by inverting `forward` (datum.js's wgs84ToGcj02) by iteration: a few
 * centimetres after three rounds, enough to draw. */
export function gcj02ToWgs84(lon, lat, forward) {
  let x = lon, y = lat;
  for (let i = 0; i < 4; i++) {
    const [fx, fy] = forward(x, y);
    x -= fx - lon;
    y -= fy - lat;
  }
  return [x, y];
}
