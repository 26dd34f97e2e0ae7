/* When each case's state next changes by the clock alone (its warning's instant, or the instant
 * after its deadline: clocks.js's nextChange), in a queue by instant, so the page's second-by-
 * second check costs the cases whose instant passed, not every case (issue 17's performance:
 * 5,000 cases). A case changed by an event is queued again with its new instants; its old place
 * is forgotten (and the queue compacted when forgotten places outnumber the live ones, so
 * 30 minutes of events do not grow it). Pure (tests/js/clockqueue.test.mjs). */

import { nextChange } from "./clocks.js";

export function createClockQueue() {
  const heap = [];           // {at, id, c, live}, the earliest first
  const current = new Map(); // id -> its live entry

  const before = (a, b) => a.at < b.at;
  function up(i) {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  }
  function down(i) {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l], heap[m])) m = l;
      if (r < heap.length && before(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
  function pop() {
    const top = heap[0], last = heap.pop();
    if (heap.length) { heap[0] = last; down(0); }
    return top;
  }
  function forget(id) {
    const old = current.get(id);
    if (old) { old.live = false; current.delete(id); }
    if (heap.length > 64 && heap.length > 2 * current.size) {
      const live = heap.filter((e) => e.live);
      heap.length = 0;
      live.forEach((e) => { heap.push(e); up(heap.length - 1); });
    }
  }

  /** The case `c` (as it is now) queued at its next change after `now`, if any. */
  function add(c, now) {
    const at = nextChange(c.clocks, now);
    const old = current.get(c.id);
    if (old && old.at === at) { old.c = c; return; }
    forget(c.id);
    if (at === null) return;
    const e = { at, id: c.id, c, live: true };
    current.set(c.id, e);
    heap.push(e);
    up(heap.length - 1);
  }

  return {
    add,
    delete: forget,
    /** The ids whose state changed by `now` (each queued again at its following change). */
    due(now) {
      const out = [];
      while (heap.length && heap[0].at <= now) {
        const e = pop();
        if (!e.live) continue;
        current.delete(e.id);
        out.push(e.id);
        add(e.c, now);
      }
      return out;
    },
    get size() { return current.size; },
    get queued() { return heap.length; },
  };
}
