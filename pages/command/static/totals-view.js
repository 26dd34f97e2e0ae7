/* The totals strip over the map (open, unaccepted, near, overdue, on site, for the cases the
 * filters let through) and, behind its button, the same per unit and per town in two tables,
 * each exported as CSV. Counting is totals.js's (a tally kept per change); this module draws, at
 * most twice a second. */

import { el } from "/static/shared/dom.js";
import { KINDS, tableRows, toCsv } from "./totals.js";

export function createTotalsView({ t, unitName }) {
  const strip = document.getElementById("totals");
  const panel = document.getElementById("totals-panel");
  const cells = {};
  let last = null, pending = false, lastAt = 0;

  KINDS.forEach((k) => {
    const b = el("span", "total total-" + k);
    b.dataset.kind = k;
    const n = el("strong", "", "0");
    b.appendChild(n);
    b.appendChild(el("span", "", t("totals." + k)));
    cells[k] = n;
    strip.appendChild(b);
  });
  const more = el("button", "totals-more", t("totals.table"));
  more.id = "totals-open";
  more.type = "button";
  strip.appendChild(more);
  more.addEventListener("click", () => { panel.hidden = !panel.hidden; if (!panel.hidden) drawTables(); });
  document.getElementById("totals-close").addEventListener("click", () => { panel.hidden = true; });

  function head(first) { return [t(first), ...KINDS.map((k) => t("totals." + k))]; }

  function table(id, first, rows) {
    const tb = document.getElementById(id);
    tb.replaceChildren();
    const hr = el("tr");
    head(first).forEach((h) => hr.appendChild(el("th", "", h)));
    tb.appendChild(hr);
    rows.forEach((r) => {
      const tr = el("tr");
      r.forEach((v, i) => tr.appendChild(el("td", i ? "num" : "", String(v))));
      tb.appendChild(tr);
    });
  }

  function csvLink(id, first, rows, name) {
    const a = document.getElementById(id);
    if (a.href && a.href.startsWith("blob:")) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([toCsv(head(first), rows)], { type: "text/csv;charset=utf-8" }));
    a.download = name;
  }

  function drawTables() {
    if (!last || panel.hidden) return;
    const units = tableRows(last.units, unitName), towns = tableRows(last.towns, unitName);
    table("totals-units", "totals.unit", units);
    table("totals-towns", "totals.town", towns);
    csvLink("totals-units-csv", "totals.unit", units, "totals-units.csv");
    csvLink("totals-towns-csv", "totals.town", towns, "totals-towns.csv");
  }

  /** The totals now (`totals()`: totals.js's tally, kept per change), drawn at most twice a
   * second. */
  function update(totals) {
    const now = Date.now();
    if (now - lastAt < 500) {
      if (!pending) { pending = true; setTimeout(() => { pending = false; update(totals); }, 500); }
      return;
    }
    lastAt = now;
    const got = totals();
    last = { all: { ...got.all }, units: got.units, towns: got.towns };
    KINDS.forEach((k) => {
      const text = String(last.all[k]);
      if (cells[k].textContent !== text) cells[k].textContent = text;
    });
    strip.dataset.counts = JSON.stringify(last.all);
    drawTables();
  }

  return { update, current: () => last };
}
