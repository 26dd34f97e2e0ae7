/* The label catalogue's client. The names a person reads for categories, statuses, milestones,
 * roles, clock states and the assessment's columns come from the server's one catalogue (dispatch/labels.py, served at
 * GET /api/v1/labels in every language), never from a page's own copy: one word per thing on
 * every page. `labelsFor` is pure (tests/js/labels.test.mjs); `loadLabels` fetches. */

export const LABELS_URL = "/api/v1/labels";
const KINDS = { category: "categories", description: "descriptions", status: "statuses",
                milestone: "milestones", role: "roles", state: "states", column: "columns" };

/** Lookups in one language (the catalogue's default when it does not speak `lang`): e.g.
 * `labels.category("water_cut")`; a code the catalogue does not know reads as itself.
 * `labels.codes("categories")` lists a table's codes in the catalogue's order. */
export function labelsFor(doc, lang) {
  const chosen = Object.hasOwn(doc.labels, lang) ? lang : doc.default;
  const set = doc.labels[chosen];
  const out = { lang: chosen, codes: (table) => Object.keys(set[table] || {}) };
  for (const [one, table] of Object.entries(KINDS)) {
    const names = set[table] || {};
    out[one] = (code) => (Object.hasOwn(names, code) ? names[code] : String(code));
  }
  return out;
}

/** The catalogue from the server (public, cached by the browser), in `lang`. */
export async function loadLabels(lang, fetchFn = globalThis.fetch) {
  const r = await fetchFn(LABELS_URL, { credentials: "same-origin" });
  if (!r.ok) throw new Error("labels: " + r.status);
  return labelsFor(await r.json(), lang);
}
