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
  // A cluster's colour is its worst case's: computed from its own markers and its child
  // clusters' colours and kept on the cluster until a marker under it is added, removed or
  // recoloured (`touch` forgets it along the marker's parents), instead of listing every marker
  // under every cluster drawn (5,000 markers each frame at the city's zoom).
  function worstOf(group) {
    if (group.worstKnown) return group.worst;
    let worst = "resolved";
    for (const m of group._markers) if (STATE_RANK[m.options.caseState] > STATE_RANK[worst]) worst = m.options.caseState;
    for (const k of group._childClusters) { const w = worstOf(k); if (STATE_RANK[w] > STATE_RANK[worst]) worst = w; }
    group.worstKnown = true;
    group.worst = worst;
    return worst;
  }
  function touch(m) {
    for (let p = m.__parent; p; p = p.__parent) p.worstKnown = false;
  }
  const cluster = L.markerClusterGroup({
    // Chunks of at most ~50 ms (markercluster looks at the time every 200 markers) with a pause
    // between them: the first 5,000 markers never block the page for long.
    chunkedLoading: true, chunkInterval: 50, chunkDelay: 20,
    showCoverageOnHover: false, maxClusterRadius: 40,
    iconCreateFunction(group) {
      const worst = group._markers && group._childClusters ? worstOf(group)
        : group.getAllChildMarkers().reduce((w, m) => (STATE_RANK[m.options.caseState] > STATE_RANK[w] ? m.options.caseState : w), "resolved");
      const div = el("div", "cluster cluster-" + worst, group.getChildCount());
      div.style.background = STATE_COLOURS[worst];
      div.style.width = div.style.height = "42px";
      return L.divIcon({ html: div, className: "", iconSize: [42, 42] });
    },
  }).addTo(map);
  cluster.on("layeradd", (e) => touch(e.layer));  // each marker placed, chunk by chunk
  const markers = new Map();   // case id -> marker
  // New markers wait here for one `flush` per frame: markercluster's addLayer refreshes every
  // cluster's bounds and icons for each marker (quadratic at 5,000 cases); addLayers does it
  // once, in chunks that leave the browser responsive.
  const pending = new Set();
  const officerLayer = L.layerGroup().addTo(map);
  const officers = new Map();  // officer id -> {marker, at}

  // A case's icon builds its element only when Leaflet draws the marker (a case alone on the
  // map, not inside a cluster): loading 5,000 cases builds no element per case.
  const CaseIcon = L.DivIcon.extend({
    createIcon(old) {
      const div = el("div", "");
      div.dataset.id = this.options.caseId;
      div.dataset.state = this.options.caseState;
      div.style.background = STATE_COLOURS[this.options.caseState];
      this.options.html = div;
      return L.DivIcon.prototype.createIcon.call(this, old);
    },
  });
  function caseIcon(id, state) {
    return new CaseIcon({ caseId: id, caseState: state, className: "case-marker state-" + state, iconSize: [18, 18] });
  }
  const recoloured = new Set();  // markers whose state changed since the last flush

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
      recoloured.add(m);
    }
    if (shown && !cluster.hasLayer(m)) pending.add(m);
    if (!shown) { pending.delete(m); if (cluster.hasLayer(m)) { touch(m); cluster.removeLayer(m); } }
  }

  function removeCase(id) {
    const m = markers.get(id);
    if (m) { pending.delete(m); recoloured.delete(m); touch(m); cluster.removeLayer(m); markers.delete(id); }
  }

  /** The markers placed since the last flush, added to the clusters at once, and the clusters
   * of recoloured markers coloured again at once. */
  function flush() {
    if (recoloured.size) {
      recoloured.forEach(touch);
      const shown = Array.from(recoloured).filter((m) => cluster.hasLayer(m) && !pending.has(m));
      recoloured.clear();
      if (shown.length) cluster.refreshClusters(shown);
    }
    if (!pending.size) return;
    const adding = Array.from(pending);
    pending.clear();
    cluster.addLayers(adding);
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
    fade(o, Date.now());  // this officer only: the others are faded once a second
  }

  function fade(o, now) {
    const age = now - o.at, e = o.marker.getElement();
    if (!e) return;
    const stale = age > FRESH_MS && age <= STALE_MS, gone = age > STALE_MS;
    if (e.classList.contains("stale") !== stale) e.classList.toggle("stale", stale);
    if (e.classList.contains("gone") !== gone) e.classList.toggle("gone", gone);
  }

  function fadeOfficers(now) {
    officers.forEach((o) => fade(o, now));
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
