/* A case's detail: its facts, its units with each one's clocks, who accepted and how far from
 * the site it checked in, the check-in fixes drawn against the site and the check-in radius,
 * the photos (fetched with the token and shown as blobs: an <img src> could not carry it) and the
 * timeline. Read from GET /api/v1/incidents/{id} on opening and after each of the case's events;
 * a case the user may not see shows its status (404) and nothing of it. */

import { el } from "/static/shared/dom.js";
import { cst, cstShort } from "/static/shared/time.js";
import { addTiles } from "./basemap.js";
import { clockCell } from "./board.js";
import { unitClocks } from "./clocks.js";
import { fromIncident } from "./state.js";

/* global L */

export function createDetail({ boot, t, labels, auth, show, unitName, officerNames, onClose,
                               onDrawn = () => {} }) {
  const panel = document.getElementById("detail");
  let current = null, detailMap = null, layer = null, photoUrls = [];

  function fact(dl, key, value) {
    dl.appendChild(el("dt", "", t(key)));
    dl.appendChild(el("dd", "", value));
  }

  function refused(status) {
    document.getElementById("detail-id").textContent = "";
    const dl = document.getElementById("detail-facts");
    dl.replaceChildren();
    fact(dl, "detail.title", String(status));
    panel.dataset.status = String(status);
    ["detail-units", "detail-photos", "detail-timeline"].forEach((x) =>
      document.getElementById(x).replaceChildren());
  }

  function units(inc) {
    const now = Date.now(), c = fromIncident(inc);
    const table = document.getElementById("detail-units");
    table.replaceChildren();
    const head = el("tr");
    [t("filter.unit"), labels.milestone("arrival"), labels.milestone("restore"),
     labels.milestone("resolve"), t("detail.accepted"), t("detail.distance")]
      .forEach((h) => head.appendChild(el("th", "", h)));
    table.appendChild(head);
    unitClocks(c.clocks, c.units).forEach((k, i) => {
      const u = inc.units[i], row = el("tr");
      row.dataset.unit = u.code;
      row.appendChild(el("td", "", u.name));
      [k.arrival, k.restore, k.resolve].forEach((m) => {
        const td = el("td");
        td.appendChild(clockCell(m, now, t));
        row.appendChild(td);
      });
      row.appendChild(el("td", "", u.accepted_by
        ? (officerNames[u.accepted_by] || u.accepted_by.slice(0, 8)) + " · " + cstShort(u.accepted_at) : ""));
      row.appendChild(el("td", "", u.arrival_distance_m !== null && u.arrival_distance_m !== undefined
        ? u.arrival_distance_m + " m" : ""));
      table.appendChild(row);
    });
  }

  /** The site, the radius and every unit's check-in fix. */
  function drawMap(inc) {
    if (!detailMap) {
      detailMap = L.map("detail-map", { zoomControl: true, maxZoom: 19 });
      addTiles(detailMap, boot.tiles);
      layer = L.layerGroup().addTo(detailMap);
    }
    layer.clearLayers();
    const radius = boot.checkin_radius_m;
    const site = show(inc.location.lat, inc.location.lon);
    const bounds = L.latLngBounds([site, site]);
    L.circle(site, { radius, color: "#1c7ed6", weight: 2, fillOpacity: 0.08, className: "checkin-radius" }).addTo(layer);
    L.circleMarker(site, { radius: 6, color: "#fff", weight: 2, fillColor: "#e03131", fillOpacity: 1, className: "site-marker" })
      .bindTooltip(labels.category(inc.category)).addTo(layer);
    inc.units.forEach((u) => {
      if (!u.arrival_location) return;
      const fix = show(u.arrival_location.lat, u.arrival_location.lon);
      L.polyline([site, fix], { color: "#6741d9", weight: 1, dashArray: "4 4" }).addTo(layer);
      L.circleMarker(fix, { radius: 6, color: "#fff", weight: 2, fillColor: "#6741d9", fillOpacity: 1, className: "checkin-fix" })
        .bindTooltip(u.name + " · " + t("detail.checkin") + " · " + u.arrival_distance_m + " m",
                     { permanent: true, direction: "right", offset: [10, 0] })
        .addTo(layer);
      bounds.extend(fix);
    });
    detailMap.invalidateSize();
    detailMap.fitBounds(bounds.extend(L.latLng(site).toBounds(radius * 2.4)), { maxZoom: 17 });
  }

  function photos(inc) {
    photoUrls.forEach((u) => URL.revokeObjectURL(u));
    photoUrls = [];
    const box = document.getElementById("detail-photos");
    box.replaceChildren();
    if (!inc.photos.length) box.appendChild(el("span", "muted", "—"));
    inc.photos.forEach((p) => {
      const img = el("img");
      img.alt = p.id;
      box.appendChild(img);
      auth.api(p.url).then((r) => (r.ok ? r.blob() : null)).then((b) => {
        if (!b) return;
        const u = URL.createObjectURL(b);
        photoUrls.push(u);
        img.src = u;
      });
    });
  }

  function timeline(inc) {
    const list = document.getElementById("detail-timeline");
    list.replaceChildren();
    (inc.timeline || []).forEach((e) => {
      const li = el("li"), d = e.data || {};
      li.appendChild(el("time", "", cst(e.at)));
      let what = t("event." + e.type);
      if (d.unit) what += " · " + unitName(d.unit);
      if (d.milestone) what += " · " + labels.milestone(d.milestone);
      if (typeof d.distance_m === "number") what += " · " + d.distance_m + " m";
      if (d.note) what += " · " + d.note;
      li.appendChild(document.createTextNode(what));
      list.appendChild(li);
    });
  }

  function draw(inc) {
    panel.dataset.status = "200";
    panel.dataset.id = inc.id;
    document.getElementById("detail-id").textContent = inc.case_number || inc.id.slice(0, 8);
    const dl = document.getElementById("detail-facts");
    dl.replaceChildren();
    fact(dl, "filter.category", labels.category(inc.category));
    fact(dl, "filter.status", labels.status(inc.status));
    fact(dl, "detail.territory", inc.territory.name || inc.territory.code);
    fact(dl, "detail.received", cst(inc.received_at) + " (UTC+8)");
    fact(dl, "detail.description", inc.description);
    fact(dl, "detail.radius", boot.checkin_radius_m + " m");
    // Officers' names: the offers list the on-duty officers they were made to.
    (inc.timeline || []).forEach((e) => {
      ((e.data && e.data.officers) || []).forEach((o) => {
        if (o.officer_id && o.name) officerNames[o.officer_id] = o.name;
      });
    });
    units(inc);
    drawMap(inc);
    photos(inc);
    timeline(inc);
    onDrawn(inc);
  }

  async function refresh() {
    const id = current;
    if (!id) return;
    const r = await auth.api("/api/v1/incidents/" + encodeURIComponent(id));
    if (id !== current) return;
    if (!r.ok) { refused(r.status); return; }
    const inc = await r.json();
    if (id === current) draw(inc);
  }

  document.getElementById("detail-close").addEventListener("click", () => onClose());

  return {
    open(id) { current = id; panel.hidden = false; refresh(); },
    close() { current = null; panel.hidden = true; },
    refresh,
    currentId: () => current,
  };
}
