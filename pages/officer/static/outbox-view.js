/* What is waiting on the phone, on the task list: each queued action (accept, check-in, restore,
 * resolve, a photo) with its case, the time it was saved and its state in words: queued (never
 * "sent": an item is here only until the server has it), retrying with the wait, or refused
 * with the server's reason and the officer's choice to try again or delete; and how many
 * positions are still to go. */

import { el } from "../shared/dom.js";
import { cst } from "../shared/time.js";
import { refusal } from "./checkin.js";

export function createOutboxView({ t, outbox, tracker }) {
  const box = document.getElementById("outbox"), list = document.getElementById("outbox-items");
  const positions = document.getElementById("outbox-positions");

  async function render() {
    const items = await outbox.list();
    const waiting = tracker ? tracker.state().buffer.length : 0;
    list.replaceChildren();
    box.hidden = items.length === 0 && waiting === 0;
    positions.hidden = waiting === 0;
    positions.textContent = t("outbox.positions", { n: waiting });
    for (const item of items) {
      const li = el("li", item.state === "failed" ? "failed" : "queued");
      li.dataset.id = String(item.id);
      li.dataset.kind = item.kind;
      li.dataset.state = item.state;
      const what = item.kind === "photo" ? t("outbox.photo") : t("action." + item.kind);
      li.append(el("strong", "", `${what} · ${item.label || ""}`),
                el("span", "muted", " · " + t("outbox.saved_at", { time: cst(item.device_time).slice(5, 19) })));
      let state;
      if (item.state === "failed") state = t("outbox.failed", { reason: refusal(item.problem) || item.problem.status });
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
