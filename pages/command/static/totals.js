/* The totals of the view: how many open cases, unaccepted (a unit has not accepted), near a
 * deadline, overdue and on site; overall, per unit and per town, over exactly the cases the
 * filters let through. Counting only: each case's state comes from its clocks' instants
 * (clocks.js), its units' acceptance and its status from the server. Pure but for `render*`
 * (tests/js/totals.test.mjs). */

export const KINDS = ["open", "unaccepted", "near", "overdue", "on_site"];

function zero() { return { open: 0, unaccepted: 0, near: 0, overdue: 0, on_site: 0 }; }

function add(into, c, state, k = 1) {
  into.open += k;
  if (c.units.some((u) => !u.accepted)) into.unaccepted += k;
  if (state === "near") into.near += k;
  if (state === "overdue") into.overdue += k;
  if (c.status === "on_site") into.on_site += k;
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

/** The same totals kept per change (issue 17's performance: 5,000 cases, 10 reports a second):
 * each case's share is taken out and put back when it changes, so an event costs the case's
 * units, not every case; `reset` when the view changes. A unit or town left with no case leaves
 * the tables, as in `countTotals`. */
export function createTally() {
  let all = zero(), units = {}, towns = {};
  const shares = new Map();  // id -> {c, state}: what the case added

  function apply(c, state, k) {
    add(all, c, state, k);
    const into = (by, code) => {
      const n = by[code] ||= zero();
      add(n, c, state, k);
      if (n.open === 0) delete by[code];
    };
    into(towns, c.territoryCode);
    for (const u of c.units) into(units, u.code);
  }

  return {
    /** The case as it is now (`c` null: it left the view or the map) in `state`. */
    set(id, c, state) {
      const was = shares.get(id);
      if (was) { apply(was.c, was.state, -1); shares.delete(id); }
      if (c) { apply(c, state, 1); shares.set(id, { c, state }); }
    },
    reset() { all = zero(); units = {}; towns = {}; shares.clear(); },
    current: () => ({ all, units, towns }),
  };
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
