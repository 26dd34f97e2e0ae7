/* The small map that confirms a report's position: no tiles (the intranet often has none), the
 * territories' outlines from GET /api/v1/units/boundaries with their names, and the point, which
 * the clerk can drag. Leaflet (vendored, served in the app's shell) is loaded only when the map
 * is first needed, so the first screen loads without it. Everything is drawn in WGS-84. */

/* global L */

let loading = null;

function loadLeaflet(base) {
  if (typeof L !== "undefined") return Promise.resolve();
  if (loading === null) {
    loading = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = base + "vendor/leaflet/leaflet.css";
      document.head.appendChild(css);
      const s = document.createElement("script");
      s.src = base + "vendor/leaflet/leaflet.js";
      s.onload = () => resolve();
      s.onerror = () => { loading = null; reject(new Error("leaflet")); };
      document.head.appendChild(s);
    });
  }
  return loading;
}

/** `el`: the map's element; `onMove(lat, lon)` after the clerk dragged the point. */
export function createPositionMap({ el, base, onMove }) {
  let map = null, marker = null, outline = null;

  async function ensure() {
    await loadLeaflet(base);
    if (map === null) {
      el.hidden = false;
      map = L.map(el, { zoomControl: true, attributionControl: false });
      map.setView([35.09, 112.6], 10);
    }
    return map;
  }

  return {
    /** Draws the territories (a GeoJSON FeatureCollection), once. */
    async outlines(fc) {
      await ensure();
      if (outline !== null || !fc) return;
      outline = L.geoJSON(fc, {
        style: { color: "#3d5a3d", weight: 1.5, fill: true, fillOpacity: 0.06 },
        onEachFeature: (f, layer) => {
          const name = f.properties && f.properties.name;
          if (name) layer.bindTooltip(String(name), { permanent: false, className: "territory-label" });
        },
      }).addTo(map);
    },
    /** Puts the point (draggable) and centres on it. */
    async point(lat, lon, accuracyM) {
      await ensure();
      el.hidden = false;
      if (marker === null) {
        marker = L.marker([lat, lon], { draggable: true, keyboard: false,
                                        icon: L.divIcon({ className: "", html: "<div class='pin'></div>",
                                                          iconSize: [28, 28], iconAnchor: [14, 28] }) })
          .addTo(map);
        marker.on("dragend", () => { const p = marker.getLatLng(); onMove(p.lat, p.lng); });
      } else {
        marker.setLatLng([lat, lon]);
      }
      const zoom = accuracyM && accuracyM > 300 ? 13 : 15;
      map.setView([lat, lon], zoom);
      map.invalidateSize();
    },
    hide() { el.hidden = true; },
    ready: () => map !== null,
  };
}
