/* The board: the open cases the filters let through, in the order of what needs attention
 * (attention.js: a new report pinned on top, overdue, near, new, unaccepted, then by the next
 * deadline), in pages of 200 that reach every case, each named by its case number, with
 * its units' three clocks (arrival, restore, resolve) and a live countdown. A row is rebuilt only
 * when its case changed (`invalidate`) and the board is put in order by moving rows, not by
 * rebuilding it, so 10 events a second stay cheap; every second `tick` moves the countdowns of
 * the rows on screen and recolours each clock from its instants (clocks.js). The order itself
 * is order.js's, kept per change. */

import { el } from "/static/shared/dom.js";
import { countdown, cst, cstClock } from "/static/shared/time.js";
import { caseState, milestoneState, nextDue, unitClocks } from "./clocks.js";
import { PAGE_SIZE, attention, pageOf } from "./attention.js";

export const BOARD_ROWS = PAGE_SIZE;

/** A clock's cell: "done 10:32" once met; else a countdown that `tick` keeps moving, with the
 * instants it is coloured by in data-due and data-near. */
export function clockCell(m, now, t) {
  const span = el("span", "ms");
  if (m === null) return span;
  const state = milestoneState(m, now);
  span.classList.add(state);
  span.dataset.ms = m.name;
  if (m.doneAt !== null) {
    span.textContent = t("ms." + state) + " " + cstClock(m.doneAt);
  } else {
    span.dataset.due = String(m.due);
    span.dataset.near = String(m.nearAt);
    span.textContent = countdown(m.due - now, t("time.day"));
  }
  return span;
}

/** Every countdown under `root` moved to `now` and recoloured by its instants. */
export function tickClocks(root, now, day) {
  root.querySelectorAll("[data-due]").forEach((s) => {
    const due = Number(s.dataset.due);
    s.textContent = countdown(due - now, day);
    const state = milestoneState({ doneAt: null, due, nearAt: Number(s.dataset.near) }, now);
    if (!s.classList.contains(state)) s.className = "ms " + state;
  });
}

/** What a board's row shows of a case at `now`, as one string: equal, the row need not change. */
export function signature(c, now) {
  const parts = [c.number, c.category, c.territory, c.status, c.receivedAt, caseState(c.clocks, now)];
  for (const u of c.units) parts.push(u.code, u.name, u.accepted);
  for (const m of c.clocks.milestones) parts.push(m.name, m.unit, m.due, m.nearAt, m.doneAt, m.onTime, milestoneState(m, now));
  return parts.join("|");
}

export function createBoard({ t, labels, unitName, onOpen, limit = BOARD_ROWS }) {
  const body = document.getElementById("board-rows");
  const rows = new Map();  // case id -> its row, until the case changes
  const box = document.getElementById("board-box"), empty = document.getElementById("board-empty");
  const pager = document.getElementById("board-pager"), more = document.getElementById("board-more");
  const prev = document.getElementById("board-prev"), nextButton = document.getElementById("board-next");

  function row(c, now, selected) {
    const tr = el("tr", selected ? "selected" : "");
    const state = caseState(c.clocks, now);
    tr.sig = signature(c, now);
    tr.dataset.id = c.id;
    tr.dataset.state = state;
    const what = el("td");
    const title = el("div", "case-title");
    title.appendChild(el("span", "badge state-" + state, labels.state(state)));
    title.appendChild(el("span", "case-number", " " + c.number));
    title.appendChild(document.createTextNode(" " + labels.category(c.category) + " · " + c.territory));
    what.appendChild(title);
    what.appendChild(el("div", "case-sub",
                        labels.status(c.status) + " · " + cst(c.receivedAt)));
    tr.appendChild(what);

    const next = nextDue(c.clocks), when = el("td");
    if (next) {
      when.appendChild(clockCell(next, now, t));
      when.appendChild(el("div", "case-sub", labels.milestone(next.name) +
                                             (next.unit ? " · " + unitName(next.unit) : "")));
    }
    tr.appendChild(when);

    const units = el("td"), table = el("table", "units"), head = el("tr");
    head.appendChild(el("th", "case-sub", t("filter.unit")));
    ["arrival", "restore", "resolve"].forEach((m) => head.appendChild(el("th", "case-sub", labels.milestone(m))));
    table.appendChild(head);
    unitClocks(c.clocks, c.units).forEach((k) => {
      const r = el("tr");
      r.dataset.unit = k.unit.code;
      r.appendChild(el("td", "", k.unit.name));
      [k.arrival, k.restore, k.resolve].forEach((m) => {
        const cell = el("td");
        cell.appendChild(clockCell(m, now, t));
        r.appendChild(cell);
      });
      table.appendChild(r);
    });
    units.appendChild(table);
    tr.appendChild(units);
    return tr;
  }

  // The rows on screen (content-visibility: an off-screen row is skipped by the browser): the
  // countdowns of these alone move every second; a row coming on screen is moved at once.
  const onScreen = new Set();
  function watch(tr) {
    tr.addEventListener("contentvisibilityautostatechange", (ev) => {
      if (ev.skipped) { onScreen.delete(tr); return; }
      onScreen.add(tr);
      tickClocks(tr, Date.now(), t("time.day"));
    });
  }
  const watched = "oncontentvisibilityautostatechange" in document.body;

  /** The board's page at `now`: `order` is the view's cases in order (order.js), `pinned` the
   * new reports nobody here opened yet (by when they came); `built(tr, c)` is told of each row
   * built afresh (on the way's line). Only rows of changed cases are built; the others are
   * moved, and only when their place changed. */
  function render(order, view, now, { pinned = new Map(), built = () => {} } = {}) {
    const total = order.size;
    const pins = pinned;
    const pg = pageOf(total, view.page, limit);
    let current = body.firstChild;
    order.slice(pg.start, pg.end).forEach((c) => {
      let tr = rows.get(c.id);
      if (!tr) {
        tr = row(c, now, c.id === view.caseId);
        rows.set(c.id, tr);
        if (watched) watch(tr);
        built(tr, c);
      }
      // Only what changed is written: an attribute set again still costs the row a restyle.
      const pin = pins.has(c.id), why = attention(c, now, pins);
      if (tr.classList.contains("selected") !== (c.id === view.caseId)) tr.classList.toggle("selected");
      if (tr.classList.contains("pinned") !== pin) {
        tr.classList.toggle("pinned", pin);
        tr.firstChild.firstChild.dataset.new = pin ? t("new.badge") : "";
      }
      if (tr.dataset.attention !== why) tr.dataset.attention = why;
      if (tr === current) current = current.nextSibling;
      else body.insertBefore(tr, current);
    });
    while (current) {
      const next = current.nextSibling;
      body.removeChild(current);
      onScreen.delete(current);
      if (rows.get(current.dataset.id) === current) rows.delete(current.dataset.id);  // off the page: built again if it comes back
      current = next;
    }
    setText(empty, null, total > 0);
    pager.hidden = pg.pages <= 1;
    setText(more, t("board.page").replace("{first}", pg.first).replace("{last}", pg.end)
                                 .replace("{total}", total));
    prev.disabled = pg.page <= 1;
    nextButton.disabled = pg.page >= pg.pages;
    box.dataset.count = String(total);
    box.dataset.page = String(pg.page);
    box.dataset.pages = String(pg.pages);
    return pg;
  }

  function setText(node, text, hidden) {
    if (text !== null && node.textContent !== text) node.textContent = text;
    if (hidden !== undefined && node.hidden !== hidden) node.hidden = hidden;
  }

  body.addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr[data-id]");
    if (tr && tr.parentNode === body) onOpen(tr.dataset.id);
  });

  return {
    render,
    /** The case changed (`c`, or left: none): its row is built again when next shown, unless
     * what the row shows is the same (most of a report's events change nothing on the board:
     * rebuilding its row for each was most of the page's work at 10 reports a second). */
    invalidate(id, c, now) {
      const tr = rows.get(id);
      if (tr && c && tr.sig === signature(c, now)) return;
      rows.delete(id);
    },
    /** Every countdown on screen moved to `now` (every row's, where the browser cannot say). */
    tick(now) {
      if (!watched) { tickClocks(body, now, t("time.day")); return; }
      onScreen.forEach((tr) => { if (tr.isConnected) tickClocks(tr, now, t("time.day")); else onScreen.delete(tr); });
    },
    /** The rows on the page now. */
    shownRows: () => body.children,
  };
}
