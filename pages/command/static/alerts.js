/* Overdue alerts, grouped per case (alertgroups.js): each `incident.overdue` adds to its case's
 * alert, which shows how many deadlines of the case were missed (×3) and which; one beep per
 * notice (sound.js, which the operator may switch off); "dismiss all" clears them. A unit's
 * dispatcher also sees command's reminders (`incident.reminded`) there, with their request. A notice is
 * raised once: not again when time passes, nor when a reconnection's resync replays the log, nor
 * after a reload (what was alerted is remembered for the browser tab's session).
 *
 * A burst is drawn once: the notices one task brings (a resync replays thousands, a scheduler
 * back from an outage fires hundreds) are drawn and remembered together at its end, and only
 * the SHOWN most recent cases are drawn, with how many more there are (the board lists every
 * overdue case first). Drawing every case's alert again for each notice made a burst of 1,000
 * quadratic: the page stalled for minutes in bench/'s 30-minute soak. */

import { el } from "/static/shared/dom.js";
import { cst } from "/static/shared/time.js";
import { alertKey, groupAlerts } from "./alertgroups.js";

const REMEMBERED = "overdue-alerted", KEEP = 500, REMINDER = "reminder", SHOWN = 20;

export function createAlerts({ t, labels, caseOf, unitName, onOpen, counts, sound }) {
  const box = document.getElementById("alerts");
  const alerted = new Set(JSON.parse(sessionStorage.getItem(REMEMBERED) || "[]"));
  let shown = [];  // the alerts on screen: {incidentId, unit, milestone, at, note?}
  let pending = false;

  /** Remembered and drawn once for every notice of the current task, at its end. */
  function soon() {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      sessionStorage.setItem(REMEMBERED, JSON.stringify(Array.from(alerted).slice(-KEEP)));
      draw();
    });
  }

  function draw() {
    box.replaceChildren();
    if (!shown.length) return;
    const all = el("div", "alerts-head");
    all.appendChild(el("span", "", t("alert.count").replace("{n}", shown.length)));
    const clear = el("button", "dismiss-all", t("alert.dismiss_all"));
    clear.id = "alerts-dismiss-all";
    clear.addEventListener("click", () => { shown = []; draw(); });
    all.appendChild(clear);
    box.appendChild(all);
    const groups = groupAlerts(shown);
    // Under the count, not after twenty alerts below the fold of the alerts' column.
    if (groups.length > SHOWN) {
      box.appendChild(el("div", "alerts-more", t("alert.more").replace("{n}", groups.length - SHOWN)));
    }
    groups.slice(0, SHOWN).forEach((g) => {
      const c = caseOf(g.incidentId);
      const alert = el("div", "alert");
      alert.dataset.incident = g.incidentId;
      alert.dataset.count = String(g.count);
      const late = g.items.some((a) => a.milestone !== REMINDER);
      const head = el("strong", "", t(late ? "alert.overdue" : "alert.reminded") + (c ? " · " + c.number : ""));
      if (g.count > 1) head.appendChild(el("span", "alert-count", "×" + g.count));
      alert.appendChild(head);
      if (c) alert.appendChild(el("div", "", labels.category(c.category) + " · " + c.territory));
      const list = el("ul", "alert-items");
      g.items.forEach((a) => list.appendChild(el("li", "", (a.milestone === REMINDER
        ? t("act.reminded") + (a.note ? " · " + a.note : "") : labels.milestone(a.milestone)) +
        " · " + unitName(a.unit) + " · " + cst(a.at))));
      alert.appendChild(list);
      const open = el("button", "", t("detail.title"));
      open.addEventListener("click", () => onOpen(g.incidentId));
      const dismiss = el("button", "dismiss", t("alert.dismiss"));
      dismiss.addEventListener("click", () => {
        shown = shown.filter((a) => a.incidentId !== g.incidentId);
        draw();
      });
      alert.appendChild(open);
      alert.appendChild(document.createTextNode(" "));
      alert.appendChild(dismiss);
      box.appendChild(alert);
    });
  }

  /** An `incident.overdue` event's data. */
  function overdue(d) {
    const key = alertKey(d);
    if (alerted.has(key)) return;
    alerted.add(key);
    shown.push({ incidentId: d.incident_id, unit: d.data.unit, milestone: d.data.milestone, at: d.at });
    counts.alerts += 1;
    soon();
    sound.play("overdue");
  }

  /** An `incident.reminded` event's data (command reminded this unit), once. */
  function reminded(d) {
    const key = "remind|" + d.seq;
    if (alerted.has(key)) return;
    alerted.add(key);
    shown.push({ incidentId: d.incident_id, unit: d.data.unit, milestone: REMINDER, at: d.at,
                 note: d.data.note || "" });
    soon();
  }

  return { overdue, reminded, redraw: draw, groups: () => groupAlerts(shown) };
}
