/* A clock's colour at `now`, from the instants the server sent with the case (its `clocks`,
 * dispatch/board.py's case_instants): the page holds no rule of its own, it compares instants
 * with the time. A deadline is late strictly after `due`, near from `near_at`; a case is overdue
 * strictly after its first unmet deadline, near from its first warning, else `calm`. The server
 * judges its own `state` with the same comparisons. Pure (tests/js/clocks.test.mjs). */

function ms(iso) {
  if (iso === null || iso === undefined) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** The wire's `clocks` as numbers (ms since the epoch); an absent one colours nothing. */
export function parseClocks(raw) {
  if (!raw || !Array.isArray(raw.milestones)) {
    return { nearAt: null, due: null, calm: "on_time", milestones: [] };
  }
  return {
    nearAt: ms(raw.near_at), due: ms(raw.due), calm: raw.calm,
    milestones: raw.milestones.map((m) => ({
      name: m.milestone, unit: m.unit, due: ms(m.due), nearAt: ms(m.near_at),
      doneAt: ms(m.done_at), onTime: m.on_time,
    })),
  };
}

/** One deadline at `now`: done, late_done, overdue, near or on_time. */
export function milestoneState(m, now) {
  if (m.doneAt !== null) return m.onTime === false ? "late_done" : "done";
  if (now > m.due) return "overdue";
  if (now >= m.nearAt) return "near";
  return "on_time";
}

/** The case at `now`: overdue, near, or its calm state (on_time, restored, resolved). */
export function caseState(clocks, now) {
  if (clocks.due !== null && now > clocks.due) return "overdue";
  if (clocks.nearAt !== null && now >= clocks.nearAt) return "near";
  return clocks.calm;
}

/** The earliest unmet deadline (the first listed among equal ones), or null: what the board
 * sorts by and shows as "next". */
export function nextDue(clocks) {
  let best = null;
  for (const m of clocks.milestones) {
    if (m.doneAt === null && (best === null || m.due < best.due)) best = m;
  }
  return best;
}

/** Each unit's three clocks: its own arrival, and the case's restore and resolve. */
export function unitClocks(clocks, units) {
  const shared = (name) => clocks.milestones.find((m) => m.name === name && m.unit === null) || null;
  const restore = shared("restore"), resolve = shared("resolve");
  return units.map((u) => ({
    unit: u,
    arrival: clocks.milestones.find((m) => m.name === "arrival" && m.unit === u.code) || null,
    restore, resolve,
  }));
}

/** When the case's state next changes after `now` (its warning or the instant after its
 * deadline), or null: nothing to redraw until then. */
export function nextChange(clocks, now) {
  const times = [];
  if (clocks.nearAt !== null && clocks.nearAt > now) times.push(clocks.nearAt);
  if (clocks.due !== null && clocks.due >= now) times.push(clocks.due + 1);
  return times.length ? Math.min(...times) : null;
}
