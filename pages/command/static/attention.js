/* What needs an operator's attention first, in the board's order: a new report nobody here has
 * opened yet (pinned, newest first), then overdue, deadline near, new (no unit has accepted),
 * still waiting on a unit's acceptance, and the rest; within each, by the next deadline, then by
 * when received. The states come from the instants the server sent (clocks.js); the page only
 * compares them with its clock. And the board's pages: every case is on one page or another,
 * none is hidden. Pure (tests/js/attention.test.mjs). */

import { caseState, nextDue } from "./clocks.js";

export const RANKS = ["pinned", "overdue", "near", "new", "unaccepted", "other"];
export const PAGE_SIZE = 200;

const NEW_STATUSES = new Set(["reported", "dispatched"]);

/** Why a case is where it is on the board, one of RANKS. */
export function attention(c, now, pinned = new Set()) {
  if (pinned.has(c.id)) return "pinned";
  const state = caseState(c.clocks, now);
  if (state === "overdue" || state === "near") return state;
  const accepted = c.units.filter((u) => u.accepted).length;
  if (NEW_STATUSES.has(c.status) && accepted === 0) return "new";
  if (accepted < c.units.length && NEW_STATUSES.has(c.status)) return "unaccepted";
  return "other";
}

/** The cases in the board's order (a new array). */
export function orderByAttention(cases, now, pinned = new Set(), pinnedAt = new Map()) {
  const keyed = cases.map((c) => {
    const next = nextDue(c.clocks);
    return { c, rank: RANKS.indexOf(attention(c, now, pinned)), due: next ? next.due : Infinity,
             pin: pinnedAt.get(c.id) || 0 };
  });
  keyed.sort((a, b) => a.rank - b.rank || b.pin - a.pin || a.due - b.due ||
                       (a.c.receivedAt < b.c.receivedAt ? -1 : a.c.receivedAt > b.c.receivedAt ? 1 : 0) ||
                       (a.c.id < b.c.id ? -1 : 1));
  return keyed.map((k) => k.c);
}

/** One page of `total` items: the page clamped to those that exist, its first and last item
 * (1-based, for "201-400 of 512") and how many pages. */
export function pageOf(total, page, size = PAGE_SIZE) {
  const pages = Math.max(1, Math.ceil(total / size));
  const p = Math.min(Math.max(1, Math.floor(Number(page) || 1)), pages);
  const start = (p - 1) * size;
  return { page: p, pages, start, end: Math.min(total, start + size), first: total ? start + 1 : 0 };
}
