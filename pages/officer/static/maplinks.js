/* Opening the site in the phone's own map app: a `geo:` link (Android's map apps; WGS-84, the
 * datum the standard says) and AMap's web link, which opens the AMap app where it is installed
 * and needs GCJ-02: the point is converted by the shared datum module (`toGcj02`: shared/datum.js's
 * wgs84ToGcj02, the same formula as the server's geo/crs.py), never re-implemented here. It is
 * passed in rather than imported: the shared modules sit beside this one only under the app's
 * served url. Pure (tests/js/officer_maplinks.test.mjs). */

const round = (x) => Math.round(x * 1e6) / 1e6;

/** geo:lat,lon?q=lat,lon(label) (RFC 5870 with Android's query). */
export function geoLink(lat, lon, label = "") {
  const at = `${round(lat)},${round(lon)}`;
  return `geo:${at}?q=${at}${label ? `(${encodeURIComponent(label)})` : ""}`;
}

/** AMap's marker link with the GCJ-02 point (`coordinate=gaode`); `callnative=1` opens the app
 * when it is there, the web map otherwise. */
export function amapLink(lat, lon, label, toGcj02) {
  const [glon, glat] = toGcj02(lon, lat);
  const q = new URLSearchParams({ position: `${round(glon)},${round(glat)}`, name: label || "现场",
                                  src: "jy311", coordinate: "gaode", callnative: "1" });
  return `https://uri.amap.com/marker?${q.toString()}`;
}
