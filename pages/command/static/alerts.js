/* Overdue alerts: each `incident.overdue` raises a visible alert with a beep (WebAudio), once:
 * not again when time passes, nor when a reconnection's resync replays the log, nor after a
 * reload (what was alerted is remembered for the browser tab's session). Dismissable. */

import { el } from "/static/shared/dom.js";
import { cst } from "/static/shared/time.js";

const REMEMBERED = "overdue-alerted", KEEP = 500;

export function createAlerts({ t, labels, caseOf, unitName, onOpen, counts }) {
  const box = document.getElementById("alerts");
  const alerted = new Set(JSON.parse(sessionStorage.getItem(REMEMBERED) || "[]"));
  let audio = null;

  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.35);
      counts.beeps += 1;
    } catch {
      // No audio device: the visible alert stays.
    }
  }

  /** An `incident.overdue` event's data. */
  function overdue(d) {
    const key = [d.incident_id, d.data.unit, d.data.milestone, d.data.due].join("|");
    if (alerted.has(key)) return;
    alerted.add(key);
    sessionStorage.setItem(REMEMBERED, JSON.stringify(Array.from(alerted).slice(-KEEP)));
    const c = caseOf(d.incident_id);
    const alert = el("div", "alert");
    alert.dataset.incident = d.incident_id;
    alert.appendChild(el("strong", "", t("alert.overdue") + " · " + labels.milestone(d.data.milestone)));
    alert.appendChild(el("div", "", (c ? labels.category(c.category) + " · " + c.territory + " · " : "") +
                                    unitName(d.data.unit)));
    alert.appendChild(el("div", "case-sub", cst(d.at) + " (UTC+8)"));
    const open = el("button", "", t("detail.title"));
    open.addEventListener("click", () => onOpen(d.incident_id));
    const dismiss = el("button", "dismiss", t("alert.dismiss"));
    dismiss.addEventListener("click", () => alert.remove());
    alert.appendChild(open);
    alert.appendChild(document.createTextNode(" "));
    alert.appendChild(dismiss);
    box.appendChild(alert);
    counts.alerts += 1;
    beep();
  }

  return { overdue };
}
