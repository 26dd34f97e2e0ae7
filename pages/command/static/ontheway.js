/* Who is on the way: from GET /api/v1/officers (read every 15 s, and soon after a case's event),
 * each case names the officers who accepted it, their straight-line distance to the site, a rough
 * time at the server's speed (said so: not a route), and how long ago their phone was last
 * heard; on the board (a line under the case) and in the case's detail. The server computes the
 * metres and seconds; this module only words them (words.js). Clicking an officer's marker opens
 * the case they work. */

import { el } from "/static/shared/dom.js";
import { instant } from "/static/shared/time.js";
import { ageWords, distanceWords, durationWords } from "./words.js";

const EVERY_MS = 15e3;

export function createOnTheWay({ t, auth }) {
  let byCase = new Map(), byOfficer = new Map(), speed = null, timer = 0, soon = 0;
  const listeners = [];

  async function load() {
    try {
      const j = await auth.apiJson("/api/v1/officers");
      const cases = new Map(), officers = new Map();
      j.items.forEach((o) => {
        officers.set(o.id, o);
        if (!o.case) return;
        if (!cases.has(o.case.id)) cases.set(o.case.id, []);
        cases.get(o.case.id).push(o);
      });
      byCase = cases;
      byOfficer = officers;
      speed = j.speed_kmh;
      listeners.forEach((f) => f());
    } catch (e) {
      // A failed read keeps the last one; the next read comes in 15 s.
    }
  }

  /** Reads again within a second (coalesced): after a case's event (an acceptance). */
  function refreshSoon() {
    if (!soon) soon = setTimeout(() => { soon = 0; load(); }, 800);
  }

  function line(o, now) {
    const seen = instant(o.last_seen_at);
    const parts = [o.name];
    if (o.case.distance_m !== null) {
      parts.push(distanceWords(o.case.distance_m, t), durationWords(o.case.eta_s, t));
    } else {
      parts.push(t("otw.no_fix"));
    }
    parts.push(t("otw.seen") + " " + ageWords(seen === null ? NaN : now - seen, t));
    return parts.join(" · ");
  }

  /** A board's row gets a line naming who is on the way (none when nobody accepted). */
  function decorateRow(tr, now = Date.now()) {
    const who = byCase.get(tr.dataset.id) || [];
    const text = who.map((o) => line(o, now)).join("；");
    let div = tr.firstChild.querySelector(".otw");
    if (!text) { if (div) div.remove(); return; }
    if (!div) { div = el("div", "case-sub otw"); tr.firstChild.appendChild(div); }
    if (div.textContent !== text) div.textContent = text;
    div.dataset.officers = who.map((o) => o.id).join(" ");
  }

  /** Every row of the board's page (after each read of the officers). */
  function decorate(rows, now = Date.now()) {
    for (const tr of rows) decorateRow(tr, now);
  }

  /** The detail's "on the way" section for a case. */
  function showCase(caseId, now = Date.now()) {
    const box = document.getElementById("detail-otw");
    if (!box) return;
    box.replaceChildren();
    const who = byCase.get(caseId) || [];
    if (!who.length) { box.appendChild(el("p", "muted", t("otw.nobody"))); return; }
    const table = el("table", "units otw-table"), head = el("tr");
    ["otw.officer", "detail.distance", "otw.eta", "otw.seen"].forEach((k) => head.appendChild(el("th", "", t(k))));
    table.appendChild(head);
    who.forEach((o) => {
      const r = el("tr"), seen = instant(o.last_seen_at);
      r.dataset.officer = o.id;
      r.appendChild(el("td", "otw-name", o.name));
      r.appendChild(el("td", "otw-distance", o.case.distance_m === null ? t("otw.no_fix") : distanceWords(o.case.distance_m, t)));
      r.appendChild(el("td", "otw-eta", o.case.eta_s === null ? "—" : durationWords(o.case.eta_s, t)));
      r.appendChild(el("td", "otw-seen", ageWords(seen === null ? NaN : now - seen, t)));
      table.appendChild(r);
    });
    box.appendChild(table);
    box.appendChild(el("p", "muted otw-note", t("otw.note").replace("{speed}", String(speed))));
  }

  function start() {
    load();
    timer = setInterval(load, EVERY_MS);
  }

  return {
    start, load, refreshSoon, decorate, decorateRow, showCase,
    onChange: (f) => listeners.push(f),
    caseOf: (officerId) => { const o = byOfficer.get(officerId); return o && o.case ? o.case.id : null; },
    officersOf: (caseId) => (byCase.get(caseId) || []).map((o) => o.id),
    officer: (id) => byOfficer.get(id),
    stop: () => clearInterval(timer),
  };
}
