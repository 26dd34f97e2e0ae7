/* What is waiting on the phone, on the home screen: each queued report or photo with the time
 * it was saved and its state in words: queued (never "sent": an item is here only until the
 * server has it), retrying with the wait, or refused with the server's reason and the clerk's
 * choice to try again or delete. */

import { el } from "../shared/dom.js";
import { cst } from "../shared/time.js";

function reason(problem) {
  if (!problem) return "";
  const field = problem.errors && problem.errors[0];
  const detail = field ? `${field.field}: ${field.message}` : (problem.detail || problem.title || "");
  return `${problem.status || ""} ${detail}`.trim();
}

export function createOutboxView({ t, outbox }) {
  const box = document.getElementById("outbox"), list = document.getElementById("outbox-items");

  async function render() {
    const items = await outbox.list();
    list.replaceChildren();
    box.hidden = items.length === 0;
    const labelOf = new Map(items.map((x) => [x.id, x.label]));
    for (const item of items) {
      const li = el("li", item.state === "failed" ? "failed" : "queued");
      li.dataset.id = String(item.id);
      li.dataset.kind = item.kind;
      li.dataset.state = item.state;
      const title = item.kind === "photo"
        ? t("outbox.photo_of", { label: labelOf.get(item.parent) || item.label || t("outbox.photo") })
        : (item.label || item.kind);
      li.append(el("strong", "", title), el("span", "muted", " · " + t("outbox.saved_at", { time: cst(item.device_time).slice(5, 16) })));
      let state;
      if (item.state === "failed") state = t("outbox.failed", { reason: reason(item.problem) });
      else if (item.attempts > 0 && item.next_at > Date.now()) {
        state = t("outbox.retrying", { s: Math.ceil((item.next_at - Date.now()) / 1000) });
      } else state = t("outbox.queued");
      li.append(el("span", "state", state));
      if (item.state === "failed") {
        const again = el("button", "", t("outbox.retry")), drop = el("button", "", t("outbox.discard"));
        again.type = drop.type = "button";
        again.addEventListener("click", () => outbox.retry(item.id));
        drop.addEventListener("click", () => outbox.discard(item.id));
        li.append(el("br"), again, drop);
      }
      list.append(li);
    }
    return items;
  }

  return { render };
}
