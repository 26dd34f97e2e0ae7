/* The board: the open cases the filters let through, in the order of what needs attention
 * (attention.js: a new report pinned on top, overdue, near, new, unaccepted, then by the next
 * deadline), in pages of 200 that reach every case, each named by its case number, with
 * its units' three clocks (arrival, restore, resolve) and a live countdown. A row is rebuilt only
 * when its case changed (`invalidate`) and the board is put in order by moving rows, not by
 * rebuilding it, so 10 events a second stay cheap; every second `tick` moves the countdowns and
 * recolours each clock from its instants (clocks.js). */

import { el } from "/static/shared/dom.js";
import { countdown, cst, cstClock } from "/static/shared/time.js";
import { caseState, milestoneState, nextDue, unitClocks } from "./clocks.js";
import { PAGE_SIZE, attention, orderByAttention, pageOf } from "./attention.js";
import { visible } from "./state.js";

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

export function createBoard({ t, labels, unitName, onOpen, limit = BOARD_ROWS }) {
  const body = document.getElementById("board-rows");
  const rows = new Map();  // case id -> its row, until the case changes

  function row(c, now, selected) {
    const tr = el("tr", selected ? "selected" : "");
    const state = caseState(c.clocks, now);
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

  /** The board for these cases and this view at `now`; `pass` narrows it further (town, mine,
   * search), `pinned` are the new reports nobody here opened yet (by when they came). */
  function render(cases, view, now, { pass = () => true, pinned = new Map() } = {}) {
    const list = [];
    for (const c of cases) if (visible(c, view, now) && pass(c)) list.push(c);
    const pins = new Set(pinned.keys());
    const ordered = orderByAttention(list, now, pins, pinned);
    const pg = pageOf(ordered.length, view.page, limit);
    let current = body.firstChild;
    ordered.slice(pg.start, pg.end).forEach((c) => {
      let tr = rows.get(c.id);
      if (!tr) { tr = row(c, now, c.id === view.caseId); rows.set(c.id, tr); }
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
    while (current) { const next = current.nextSibling; body.removeChild(current); current = next; }
    document.getElementById("board-empty").hidden = list.length > 0;
    const more = document.getElementById("board-more");
    document.getElementById("board-pager").hidden = pg.pages <= 1;
    more.textContent = t("board.page").replace("{first}", pg.first).replace("{last}", pg.end)
                                      .replace("{total}", list.length);
    document.getElementById("board-prev").disabled = pg.page <= 1;
    document.getElementById("board-next").disabled = pg.page >= pg.pages;
    const box = document.getElementById("board-box");
    box.dataset.count = String(list.length);
    box.dataset.page = String(pg.page);
    box.dataset.pages = String(pg.pages);
    return pg;
  }

  body.addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr[data-id]");
    if (tr && tr.parentNode === body) onOpen(tr.dataset.id);
  });

  return {
    render,
    /** The case changed (or left): its row is built again when next shown. */
    invalidate: (id) => rows.delete(id),
    tick: (now) => tickClocks(body, now),
  };
}
