/* The board's order kept as events come (issue 17's performance): the cases the view lets
 * through, sorted as attention.js sorts them, held in one array. A changed case is taken out and
 * put back in its place by binary search, so an event costs O(log n) comparisons and one array
 * splice instead of sorting 5,000 cases again every frame; only a change of the view (a filter,
 * a search) sorts everything. The keys are attention.js's (pinned, overdue, near, new,
 * unaccepted, other; the pin's time; the next deadline; when received; the id), computed once
 * per change of the case: its state by time changes it too, and main.js reports that change.
 * Pure (tests/js/order.test.mjs). */

import { RANKS, attention } from "./attention.js";
import { nextDue } from "./clocks.js";

/** A case's place in the order at `now`. */
export function entryOf(c, now, pins, pinnedAt) {
  const next = nextDue(c.clocks);
  return { c, id: c.id, rank: RANKS.indexOf(attention(c, now, pins)), pin: pinnedAt.get(c.id) || 0,
           due: next ? next.due : Infinity, received: c.receivedAt };
}

/** attention.js's order; unique keys (the id breaks every tie). */
export function compare(a, b) {
  return a.rank - b.rank || b.pin - a.pin || a.due - b.due ||
    (a.received < b.received ? -1 : a.received > b.received ? 1 : 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function createOrder() {
  let list = [];
  const byId = new Map();

  /** The first index whose entry is not before `e`. */
  function lowerBound(e) {
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(list[mid], e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function remove(id) {
    const old = byId.get(id);
    if (!old) return;
    const i = lowerBound(old);
    if (list[i] === old) list.splice(i, 1);
    else list = list.filter((e) => e !== old);  // never expected: keys are never changed in place
    byId.delete(id);
  }

  return {
    /** The case's entry (null: the view does not let it through, or it left). */
    set(id, entry) {
      remove(id);
      if (!entry) return;
      list.splice(lowerBound(entry), 0, entry);
      byId.set(id, entry);
    },
    remove,
    /** Every entry at once (a change of the view). */
    reset(entries) {
      list = entries.slice().sort(compare);
      byId.clear();
      list.forEach((e) => byId.set(e.id, e));
    },
    /** The cases from `start` to `end` (exclusive), in order. */
    slice: (start, end) => list.slice(start, end).map((e) => e.c),
    has: (id) => byId.has(id),
    get size() { return list.length; },
  };
}
