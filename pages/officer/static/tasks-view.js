/* The unit's live task list: every open case of the officer's unit, not yet taken first, then by
 * the arrival deadline; each with its number, category, where, the unit's stage in the
 * catalogue's words, the deadline (overdue as the server says) and what is queued for it on the
 * phone. The cases come from the API and from `/live` (main.js); the last list is kept in the
 * user's database so the list reads offline. */

import { el } from "../shared/dom.js";
import { cstShort } from "../shared/time.js";
import { caseNumber, caseOf, mine, ordered, stage } from "./tasks.js";

export function createTasksView({ t, labels, unitCode }) {
  const list = document.getElementById("task-list");

  function render(cases, queued) {
    list.replaceChildren();
    const tasks = ordered(cases, unitCode);
    if (!tasks.length) { list.append(el("li", "muted empty", t("tasks.empty"))); return; }
    for (const c of tasks) {
      const li = el("li"), a = el("a"), u = mine(c, unitCode), st = stage(c, unitCode);
      li.dataset.id = c.id;
      li.dataset.stage = st;
      a.href = "#/task/" + encodeURIComponent(c.id);
      a.append(el("span", "stage", t("stage." + st)),
               el("span", "num", `${labels.category(c.category)} · ${caseNumber(c)}`),
               el("span", "sub", `${c.territory ? c.territory.name : ""} · ${cstShort(c.received_at)}`),
               el("span", "sub", c.description || ""));
      if (u && !u.arrived_at && u.arrival_due) {
        const late = (c.overdue || []).some((o) => o.milestone === "arrival" && o.unit === unitCode);
        a.append(el("span", late ? "sub late" : "sub", late ? t("task.overdue") : t("task.due", { time: cstShort(u.arrival_due) })));
      }
      const mineQueued = queued.filter((x) => caseOf(x) === c.id && x.kind !== "photo");
      for (const x of mineQueued) {
        a.append(el("span", "queued", t(x.state === "failed" ? "action.failed" : "action.queued", {
          action: t("action." + x.kind), time: cstShort(x.device_time), reason: x.problem ? x.problem.status : "" })));
      }
      li.append(a);
      list.append(li);
    }
  }

  return { render };
}
