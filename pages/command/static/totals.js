/* The totals of the view: how many open cases, unaccepted (a unit has not accepted), near a
 * deadline, overdue and on site; overall, per unit and per town, over exactly the cases the
 * filters let through. Counting only: each case's state comes from its clocks' instants
 * (clocks.js), its units' acceptance and its status from the server. Pure but for `render*`
 * (tests/js/totals.test.mjs). */

export const KINDS = ["open", "unaccepted", "near", "overdue", "on_site"];

function zero() { return { open: 0, unaccepted: 0, near: 0, overdue: 0, on_site: 0 }; }

function add(into, c, state) {
  into.open += 1;
  if (c.units.some((u) => !u.accepted)) into.unaccepted += 1;
  if (state === "near") into.near += 1;
  if (state === "overdue") into.overdue += 1;
  if (c.status === "on_site") into.on_site += 1;
}

/** {all, units: {code: counts}, towns: {code: counts}} for the cases shown at `now`;
 * `stateOf(c)` is the case's clock state, `shown(c)` whether the view lets it through. A case
 * counts once for each of its units, and once for its town (its territory). */
export function countTotals(cases, stateOf, shown) {
  const all = zero(), units = {}, towns = {};
  for (const c of cases) {
    if (!shown(c)) continue;
    const state = stateOf(c);
    add(all, c, state);
    add(towns[c.territoryCode] ||= zero(), c, state);
    for (const u of c.units) add(units[u.code] ||= zero(), c, state);
  }
  return { all, units, towns };
}

/** One table as CSV (RFC 4180, a BOM for spreadsheet programs to read UTF-8): header row of
 * `head`, then each row's cells. */
export function toCsv(head, rows) {
  const cell = (v) => {
    const s = String(v);
    return /[",\r\n]/.test(s) || /^[=+\-@]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return "\ufeff" + [head, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

/** Rows of a per-unit or per-town table: [name, ...counts], largest open first. */
export function tableRows(by, name) {
  return Object.entries(by)
    .sort((a, b) => b[1].overdue - a[1].overdue || b[1].open - a[1].open || (a[0] < b[0] ? -1 : 1))
    .map(([code, n]) => [name(code), ...KINDS.map((k) => n[k])]);
}
