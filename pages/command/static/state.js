/* The command center's cases and view, without the DOM: one shape for a case whether it came
 * from the map's read (a GeoJSON feature) or as an incident (the API, a live event's
 * `incident`); the store by id; what the filters let through; the view kept in the URL's
 * fragment, so a link shows the same view. Pure (tests/js/state.test.mjs). */

import { caseState, parseClocks } from "./clocks.js";

// The map shows what GET /api/v1/map/incidents shows: every status but this one.
export const HIDDEN_STATUS = "closed";

function unitOfIncident(u) {
  return { code: u.code, name: u.name || u.code, accepted: Boolean(u.accepted_at) };
}

/** A case from an incident (API.md's, or the `incident` of a live event). */
export function fromIncident(inc) {
  return {
    id: inc.id, number: inc.case_number || inc.id.slice(0, 8),
    lat: inc.location.lat, lon: inc.location.lon, category: inc.category,
    status: inc.status, description: inc.description || "",
    territory: inc.territory ? inc.territory.name || inc.territory.code : "",
    territoryCode: inc.territory ? inc.territory.code : null,
    receivedAt: inc.received_at, green: Boolean(inc.green_channel),
    units: (inc.units || []).map(unitOfIncident),
    central: inc.central_assignment || null,
    clocks: parseClocks(inc.clocks),
  };
}

/** A case from a feature of the map's read; `unitNames` names the units it gives as codes. */
export function fromFeature(f, unitNames = {}) {
  const p = f.properties || {}, c = f.geometry.coordinates;
  const code = p.territory;
  return {
    id: f.id, number: p.case_number || String(f.id).slice(0, 8),
    lat: c[1], lon: c[0], category: p.category, status: p.status, description: "",
    territory: unitNames[code] || code || "", territoryCode: code,
    receivedAt: p.received_at, green: Boolean(p.green_channel),
    units: (p.units || []).map((u) => ({ code: u.code, name: unitNames[u.code] || u.code,
                                         accepted: Boolean(u.accepted) })),
    central: p.central_assignment || null,
    clocks: parseClocks(p.clocks),
  };
}

/** The cases by id. `put` keeps a case, or drops it once its status leaves the map; it says
 * whether the case is (still) kept. */
export function createCases() {
  const byId = new Map();
  return {
    put(c) {
      if (c.status === HIDDEN_STATUS) { byId.delete(c.id); return false; }
      byId.set(c.id, c);
      return true;
    },
    get: (id) => byId.get(id),
    ids: () => Array.from(byId.keys()),
    values: () => byId.values(),
    get size() { return byId.size; },
  };
}

/** The view from a URL fragment ("#view=stats&unit=..&category=..&status=..&overdue=1&case=.."). */
export function readView(hash) {
  const q = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  return {
    tab: q.get("view") === "stats" ? "stats" : "ops",
    unit: q.get("unit") || "", category: q.get("category") || "", status: q.get("status") || "",
    overdue: q.get("overdue") === "1", caseId: q.get("case") || "",
  };
}

/** The fragment of a view ("" for the default view), the inverse of `readView`. */
export function writeView(view) {
  const q = new URLSearchParams();
  if (view.tab !== "ops") q.set("view", view.tab);
  if (view.unit) q.set("unit", view.unit);
  if (view.category) q.set("category", view.category);
  if (view.status) q.set("status", view.status);
  if (view.overdue) q.set("overdue", "1");
  if (view.caseId) q.set("case", view.caseId);
  const s = q.toString();
  return s ? "#" + s : "";
}

/** Whether the filters let a case through at `now` ("overdue only" by its clocks' state). */
export function visible(c, view, now) {
  if (view.unit && !c.units.some((u) => u.code === view.unit)) return false;
  if (view.category && c.category !== view.category) return false;
  if (view.status && c.status !== view.status) return false;
  if (view.overdue && caseState(c.clocks, now) !== "overdue") return false;
  return true;
}
