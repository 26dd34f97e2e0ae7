/* The rest of the view in the URL (issue 17), beside state.js's: the search text, the town,
 * "mine" and the board's page, so a link or a reload shows the same view. And what these let
 * through: the town is the case's territory; "mine", for a dispatcher, is what waits on it: its
 * unit has not accepted the case yet, or command assigned the case to it by name; the search
 * lets through the cases the server found (`GET /api/v1/incidents?q=`). Pure
 * (tests/js/urlstate.test.mjs). */

import { readView, writeView } from "./state.js";

/** The whole view from a URL fragment. */
export function readFullView(hash) {
  const q = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  const page = Number.parseInt(q.get("page") || "1", 10);
  return { ...readView(hash), q: (q.get("q") || "").slice(0, 100), town: q.get("town") || "",
           mine: q.get("mine") === "1", page: Number.isFinite(page) && page > 0 ? page : 1 };
}

/** The fragment of the whole view ("" for the default one), the inverse of `readFullView`. */
export function writeFullView(view) {
  const q = new URLSearchParams(writeView(view).replace(/^#/, ""));
  if (view.q) q.set("q", view.q);
  if (view.town) q.set("town", view.town);
  if (view.mine) q.set("mine", "1");
  if (view.page > 1) q.set("page", String(view.page));
  const s = q.toString();
  return s ? "#" + s : "";
}

/** Whether the town, "mine" and the search let a case through. `me`: {unit, userId}; `found`:
 * the ids the server found for the search text, or null while there is none. */
export function passes(c, view, me, found) {
  if (view.town && c.territoryCode !== view.town) return false;
  if (view.mine) {
    const own = c.units.find((u) => u.code === me.unit);
    const named = c.central && c.central.person === me.userId;
    if (!named && !(own && !own.accepted)) return false;
  }
  if (found && !found.has(c.id)) return false;
  return true;
}
