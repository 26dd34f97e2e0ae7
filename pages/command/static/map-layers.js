/* The command map's layers (Leaflet and leaflet.markercluster, globals of the vendored scripts):
 * the territories with their names, every case as a marker coloured by its clocks' state and
 * clustered when dense (a cluster takes the colour of its worst case), officers' live positions
 * fading with age, and the legend. Only drawing: which state a case is in is given (clocks.js),
 * and every point is shifted to the tiles' datum by `show` (datum.js). Markers are changed in
 * place, never rebuilt. */

import { el } from "/static/shared/dom.js";
import { instant } from "/static/shared/time.js";
import { createBaseMap } from "./basemap.js";

/* global L */

export const STATE_COLOURS = { on_time: "#2f9e44", near: "#f08c00", overdue: "#e03131",
                               restored: "#1c7ed6", resolved: "#868e96" };
const STATE_RANK = { overdue: 4, near: 3, on_time: 2, restored: 1, resolved: 0 };
const LEGEND = ["on_time", "near", "overdue", "restored", "resolved"];
// An officer's fix is fresh for 2 minutes, faded to 10, nearly gone after.
const FRESH_MS = 120e3, STALE_MS = 600e3;

export function createMapLayers({ boot, t, labels, show, onOpen, onOfficer }) {
  const map = L.map("map", { zoomControl: true, maxZoom: 19, minZoom: 3 }).setView(show(35.09, 112.55), 11);
  createBaseMap(map, boot.tiles, t);
  // Territory names below the markers (Leaflet's tooltip pane would put them over the cases).
  map.createPane("territoryLabels").style.zIndex = 450;
  const territories = L.layerGroup().addTo(map);
  const cluster = L.markerClusterGroup({
    chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40,
    iconCreateFunction(group) {
      let worst = "resolved";
      group.getAllChildMarkers().forEach((m) => {
        if (STATE_RANK[m.options.caseState] > STATE_RANK[worst]) worst = m.options.caseState;
      });
      const div = el("div", "cluster cluster-" + worst, group.getChildCount());
      div.style.background = STATE_COLOURS[worst];
      div.style.width = div.style.height = "42px";
      return L.divIcon({ html: div, className: "", iconSize: [42, 42] });
    },
  }).addTo(map);
  const markers = new Map();   // case id -> marker
  // New markers wait here for one `flush` per frame: markercluster's addLayer refreshes every
  // cluster's bounds and icons for each marker (quadratic at 5,000 cases); addLayers does it
  // once, in chunks that leave the browser responsive.
  const pending = new Set();
  const officerLayer = L.layerGroup().addTo(map);
  const officers = new Map();  // officer id -> {marker, at}

  function caseIcon(id, state) {
    const div = el("div", "");
    div.dataset.id = id;
    div.dataset.state = state;
    div.style.background = STATE_COLOURS[state];
    return L.divIcon({ html: div, className: "case-marker state-" + state, iconSize: [18, 18] });
  }

  /** Draws a case in `state`, on the map when `shown` (the filters let it through). */
  function placeCase(c, state, shown) {
    const at = show(c.lat, c.lon);
    let m = markers.get(c.id);
    if (!m) {
      m = L.marker(at, { icon: caseIcon(c.id, state), caseState: state,
                         title: labels.category(c.category) + " · " + c.territory });
      m.on("click", () => onOpen(c.id));
      markers.set(c.id, m);
      if (shown) pending.add(m);
      return;
    }
    const was = m.getLatLng();
    if (was.lat !== at[0] || was.lng !== at[1]) m.setLatLng(at);
    if (m.options.caseState !== state) {
      m.options.caseState = state;
      m.setIcon(caseIcon(c.id, state));
      if (cluster.hasLayer(m)) cluster.refreshClusters(m);
    }
    if (shown && !cluster.hasLayer(m)) pending.add(m);
    if (!shown) { pending.delete(m); if (cluster.hasLayer(m)) cluster.removeLayer(m); }
  }

  function removeCase(id) {
    const m = markers.get(id);
    if (m) { pending.delete(m); cluster.removeLayer(m); markers.delete(id); }
  }

  /** The markers placed since the last flush, added to the clusters at once. */
  function flush() {
    if (!pending.size) return;
    cluster.addLayers(Array.from(pending));
    pending.clear();
  }

  /** The boundary set's territories (GeoJSON in WGS-84), named, and the view fitted to them. */
  function addBoundaries(fc, unitNames) {
    const layer = L.geoJSON(fc, {
      coordsToLatLng: (c) => { const p = show(c[1], c[0]); return L.latLng(p[0], p[1]); },
      style: () => ({ color: "#16324f", weight: 1.5, fillColor: "#7fa7cf", fillOpacity: 0.08 }),
      onEachFeature(f, lyr) {
        unitNames[f.properties.code] = f.properties.name;
        lyr.bindTooltip(String(f.properties.name), { permanent: true, direction: "center",
                                                     className: "territory-label", pane: "territoryLabels" });
      },
    });
    territories.addLayer(layer);
    if (fc.label) {
      const note = L.control({ position: "bottomleft" });
      note.onAdd = () => {
        const d = el("div", "map-note", t("map.demo") + (fc.name ? " · " + fc.name : ""));
        d.id = "boundary-label";
        d.title = fc.label;
        return d;
      };
      note.addTo(map);
    }
    map.fitBounds(layer.getBounds(), { padding: [10, 10], animate: false });
    document.getElementById("map").dataset.territories = String(fc.features.length);
  }

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const d = el("div", "legend");
    LEGEND.forEach((s) => {
      const row = el("div"), dot = el("i");
      dot.style.background = STATE_COLOURS[s];
      row.appendChild(dot);
      row.appendChild(document.createTextNode(labels.state(s)));
      d.appendChild(row);
    });
    const row = el("div"), dot = el("i", "officer-marker");
    dot.style.width = dot.style.height = "10px";
    row.appendChild(dot);
    row.appendChild(document.createTextNode(t("map.officers")));
    d.appendChild(row);
    return d;
  };
  legend.addTo(map);

  /** An officer's position (`officer.position`); `title` names the officer and the unit. */
  function officerPosition(d, title) {
    const at = show(d.lat, d.lon);
    let o = officers.get(d.officer_id);
    if (!o) {
      const div = el("div", "");
      div.dataset.officer = d.officer_id;
      const m = L.marker(at, { icon: L.divIcon({ html: div, className: "officer-marker", iconSize: [12, 12] }),
                               title, zIndexOffset: 1000 });
      m.addTo(officerLayer);
      if (onOfficer) m.on("click", () => onOfficer(d.officer_id));
      o = { marker: m, at: 0 };
      officers.set(d.officer_id, o);
    } else {
      o.marker.setLatLng(at);
    }
    o.at = instant(d.recorded_at) ?? Date.now();
    fadeOfficers(Date.now());
  }

  function fadeOfficers(now) {
    officers.forEach((o) => {
      const age = now - o.at, e = o.marker.getElement();
      if (!e) return;
      e.classList.toggle("stale", age > FRESH_MS && age <= STALE_MS);
      e.classList.toggle("gone", age > STALE_MS);
    });
  }

  function point(latlng) {
    const p = map.latLngToContainerPoint(latlng), r = document.getElementById("map").getBoundingClientRect();
    return { x: p.x + r.left, y: p.y + r.top };
  }

  return {
    placeCase, removeCase, flush, addBoundaries, officerPosition, fadeOfficers,
    /** The state a case was last drawn in (undefined when it has no marker). */
    drawnState: (id) => { const m = markers.get(id); return m ? m.options.caseState : undefined; },
    hasMarker: (id) => { const m = markers.get(id); return Boolean(m) && cluster.hasLayer(m) && !pending.has(m); },
    markerPoint: (id) => { const m = markers.get(id); return m ? point(m.getLatLng()) : null; },
    rawPoint: (lat, lon) => point(L.latLng(lat, lon)),  // where a WGS-84 point would be drawn unshifted
    focus: (lat, lon, zoom) => map.setView(show(lat, lon), zoom, { animate: false }),
    zoom: () => map.getZoom(),
    officerIds: () => Array.from(officers.keys()),
    invalidateSize: () => map.invalidateSize(),
    map,
  };
}
