/* The command map's base map, from the one setting the server sent (`boot.tiles`, written in
 * pages/tiles.py): each tile layer with its subdomains, the attribution the provider's terms ask
 * for, and a note of the map's datum (the overlays are shifted to it by datum.js). With no tiles
 * (the demo, an offline intranet) the map is the territories over a plain ground, and says so.
 * `describe` is pure (tests/js/basemap.test.mjs). */

/* global L */

const NAMES = { tianditu: "basemap.tianditu", amap: "basemap.amap", tencent: "basemap.tencent",
                custom: "basemap.custom", none: "basemap.none" };

/** The words of the datum note: which base map, which datum the overlays are drawn in. */
export function describe(tiles, t) {
  const provider = (tiles && tiles.provider) || "none";
  const datum = (tiles && tiles.datum) || "wgs84";
  let words = t(NAMES[provider] || NAMES.custom) + " · ";
  if (provider === "tianditu") words += t("datum.cgcs2000");
  else words += t("datum." + datum);
  return { provider, datum, text: words };
}

/** Adds the tile layers to a Leaflet map; returns how many. */
export function addTiles(map, tiles) {
  const layers = (tiles && tiles.layers) || [];
  layers.forEach((x, i) => {
    L.tileLayer(x.url, { subdomains: x.subdomains, maxZoom: x.max_zoom, maxNativeZoom: x.max_zoom,
                         attribution: i === 0 ? tiles.attribution : "" }).addTo(map);
  });
  if (layers.length && map.attributionControl) map.attributionControl.setPrefix(false);
  return layers.length;
}

/** The base map and its datum note (bottom left) on the command map. */
export function createBaseMap(map, tiles, t) {
  const n = addTiles(map, tiles);
  const d = describe(tiles, t);
  const note = L.control({ position: "bottomleft" });
  note.onAdd = () => {
    const div = document.createElement("div");
    div.className = "map-note datum-note";
    div.textContent = d.text;
    div.id = "map-datum";
    div.dataset.provider = d.provider;
    div.dataset.datum = d.datum;
    return div;
  };
  note.addTo(map);
  document.getElementById("map").dataset.tiles = String(n);
  return d;
}
