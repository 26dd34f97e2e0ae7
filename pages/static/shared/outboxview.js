/* What is waiting on the phone (the #outbox box of an app's screen): each queued item with the
 * time it was saved and its state in words: queued (never "sent": an item is here only until
 * the server has it), retrying with the wait, or refused with the server's reason and the
 * user's choice to try again or delete. The same view for both apps; what differs is passed in:
 * `title(item, items)` (what the item is, in the app's words), `clock(cstTime)` (how much of the
 * saved time is shown), `reason(problem)` (a refusal in words) and, for the officer, `waiting()`
 * (how many positions are still to go, in #outbox-positions). */

import { el } from "./dom.js";
import { cst } from "./time.js";

export function createOutboxView({ t, outbox, title, clock, reason, waiting = () => 0 }) {
  const box = document.getElementById("outbox"), list = document.getElementById("outbox-items");
  const positions = document.getElementById("outbox-positions");

  async function render() {
    const items = await outbox.list();
    const others = waiting();
    list.replaceChildren();
    box.hidden = items.length === 0 && others === 0;
    if (positions) {
      positions.hidden = others === 0;
      positions.textContent = t("outbox.positions", { n: others });
    }
    for (const item of items) {
      const li = el("li", item.state === "failed" ? "failed" : "queued");
      li.dataset.id = String(item.id);
      li.dataset.kind = item.kind;
      li.dataset.state = item.state;
      li.append(el("strong", "", title(item, items)),
                el("span", "muted", " · " + t("outbox.saved_at", { time: clock(cst(item.device_time)) })));
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
