/* Territory focus: choosing a unit (or town) that is a territory outlines it and fits the map to
 * it; choosing none (or a department, which covers the whole city) shows every territory. A
 * dispatcher of a town starts focused on it. Drawing only: the outlines are the boundary set's
 * (GET /api/v1/units/boundaries), shifted to the tiles' datum by `show`. */

/* global L */

export function createTerritory({ map, show }) {
  const features = new Map();  // code -> feature
  let all = null, outline = null, focused = "";

  function setBoundaries(fc) {
    fc.features.forEach((f) => features.set(String(f.properties.code), f));
    all = L.geoJSON(fc, { coordsToLatLng: (c) => { const p = show(c[1], c[0]); return L.latLng(p[0], p[1]); } })
      .getBounds();
  }

  /** Outlines and zooms to `code`'s territory; "" or a unit with no territory: the whole city. */
  function focus(code) {
    if (outline) { map.removeLayer(outline); outline = null; }
    const f = code ? features.get(code) : null;
    focused = f ? code : "";
    map.getContainer().dataset.focus = focused;
    if (!f) { if (all && all.isValid()) map.fitBounds(all, { padding: [10, 10], animate: false }); return false; }
    outline = L.geoJSON(f, {
      coordsToLatLng: (c) => { const p = show(c[1], c[0]); return L.latLng(p[0], p[1]); },
      style: () => ({ color: "#ff8f00", weight: 4, fillColor: "#ffb300", fillOpacity: 0.12 }),
      interactive: false, className: "territory-focus",
    }).addTo(map);
    map.fitBounds(outline.getBounds(), { padding: [20, 20], animate: false });
    return true;
  }

  return { setBoundaries, focus, focused: () => focused, isTerritory: (code) => features.has(code) };
}
