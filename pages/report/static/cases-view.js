/* My cases: the list (newest first) and one case's detail: its number, status, units (waiting,
 * on the way, arrived), milestones, an extension with its reason, photos, the feedback form
 * when the server asks for it (satisfied, or not: the case goes back for redo) and complaints.
 * Live: main.js hands every `incident.updated` snapshot to `upsert`; the last list is kept in
 * the user's database so the list reads offline. Feedback and complaints need the network
 * (they are answers to the server's state, not reports: they are not queued). */

import { el } from "../shared/dom.js";
import { cst, cstShort } from "../shared/time.js";
import { byNewest, caseNumber, extensionLine, feedbackAsked, milestoneLines, unitLines } from "./case-text.js";

export function createCasesView({ t, labels, auth, kv, online }) {
  const cases = new Map();
  const list = document.getElementById("case-list"), detail = document.getElementById("case-detail");
  let openId = null;

  async function load() {
    try {
      const ans = await auth.apiJson("/api/v1/incidents?per_page=100");
      cases.clear();
      for (const c of ans.items) cases.set(c.id, c);
      document.getElementById("cases-note").hidden = true;
      persist();
    } catch {
      const kept = (await kv.get("cases")) || [];
      for (const c of kept) if (!cases.has(c.id)) cases.set(c.id, c);
      document.getElementById("cases-note").hidden = false;
    }
  }

  function persist() { kv.set("cases", [...cases.values()]).catch(() => {}); }

  /** A live event's snapshot (compact: no photos, extension, feedback or complaints): merged
   * into what we have at once, then the whole case read again from the API. */
  const pending = new Map();
  function heard(snap) {
    const known = cases.get(snap.id);
    if (known) {
      const units = new Map((known.units || []).map((u) => [u.code, u]));
      upsert({ ...known, ...snap, milestones: { ...known.milestones, ...snap.milestones },
               units: (snap.units || []).map((u) => ({ ...(units.get(u.code) || {}), ...u })) });
    } else {
      upsert(snap);
    }
    if (!online() || pending.has(snap.id)) return;
    pending.set(snap.id, setTimeout(async () => {
      pending.delete(snap.id);
      try { upsert(await auth.apiJson("/api/v1/incidents/" + encodeURIComponent(snap.id))); } catch { /* next event */ }
    }, 250));
  }

  function upsert(c) {
    const known = cases.get(c.id);
    // A list item has no timeline; a snapshot does not carry one either: keep what we had.
    cases.set(c.id, known && known.timeline && !c.timeline ? { ...c, timeline: known.timeline } : c);
    persist();
    renderList();
    if (openId === c.id) renderDetail(cases.get(c.id));
  }

  function renderList() {
    list.replaceChildren();
    const all = byNewest([...cases.values()]);
    if (!all.length) { list.append(el("li", "muted", t("cases.empty"))); return; }
    for (const c of all) {
      const li = el("li"), a = el("a");
      a.href = "#/case/" + encodeURIComponent(c.id);
      li.dataset.id = c.id;
      a.append(el("span", "status-tag", labels.status(c.status)),
               el("span", "num", labels.category(c.category) + " · " + caseNumber(c)),
               el("span", "sub", cstShort(c.received_at) + " · " + (c.territory ? c.territory.name : "")),
               el("span", "sub", c.description));
      li.append(a);
      list.append(li);
    }
  }

  async function open(id) {
    openId = id;
    renderDetail(cases.get(id) || null);
    if (!online()) return;
    try {
      const c = await auth.apiJson("/api/v1/incidents/" + encodeURIComponent(id));
      cases.set(c.id, c);
      persist();
      if (openId === id) renderDetail(c);
    } catch { /* offline or gone: what we had stays */ }
  }

  /** What the user was writing on the case shown (a complaint, a feedback): a live update draws
   * the case again and must not close the form, drop the text or the choices, or the keyboard. */
  function draftOf(id) {
    const root = detail.querySelector(".detail");
    if (!root || root.dataset.id !== id) return null;
    const box = root.querySelector("#complaints"), fb = root.querySelector("#feedback");
    const typing = document.activeElement;
    return {
      complaintOpen: Boolean(box && box.open),
      complaint: box ? box.querySelector("textarea").value : "",
      comment: fb && fb.querySelector("textarea") ? fb.querySelector("textarea").value : "",
      satisfied: fb && fb.dataset.satisfied ? fb.dataset.satisfied === "true" : null,
      rating: fb ? Number(fb.dataset.stars || 0) : 0,
      focus: typing && typing.tagName === "TEXTAREA" && root.contains(typing)
        ? typing.closest("#complaints, #feedback").id : "",
    };
  }

  function renderDetail(c) {
    const draft = c ? draftOf(c.id) : null;
    detail.replaceChildren();
    if (!c) return;
    const root = el("div", "detail");
    root.dataset.id = c.id;
    root.append(el("h2", "", labels.category(c.category) + " · " + labels.status(c.status)));
    const dl = el("dl");
    const row = (k, v) => dl.append(el("dt", "", k), el("dd", "", v));
    row(t("case.number"), caseNumber(c));
    dl.lastChild.id = "case-number";
    row(t("case.received"), cst(c.received_at));
    row(t("case.where"), c.territory ? c.territory.name : "");
    if (c.deadlines) {
      row(t("case.deadlines"), [["arrival", c.deadlines.arrival], ["restore", c.deadlines.restore],
                                ["resolve", c.deadlines.resolve]]
        .map(([m, at]) => `${labels.milestone(m)} ${cstShort(at)}`).join(" · "));
    }
    root.append(dl, el("p", "", c.description));

    const units = el("div", "box");
    units.append(el("h3", "", t("case.units")));
    const ul = el("ul");
    ul.id = "case-units";
    for (const u of unitLines(c)) {
      const li = el("li", "", `${u.unit}: ${t(u.key, { time: u.at ? cstShort(u.at) : "" })}`);
      li.dataset.state = u.key.replace("case.unit_", "");
      if (u.distance_m !== null && u.distance_m !== undefined) li.append(el("span", "muted", " · " + t("case.unit_distance", { m: u.distance_m })));
      ul.append(li);
    }
    units.append(ul);
    for (const m of milestoneLines(c)) units.append(el("p", "", t(m.key, { time: cstShort(m.at) })));
    const ext = extensionLine(c);
    if (ext) {
      const p = el("p", "warn", t("case.extension", { until: cstShort(ext.until), reason: ext.reason }));
      p.id = "case-extension";
      units.append(p);
    }
    root.append(units);

    if (c.photos && c.photos.length) root.append(photos(c));
    root.append(feedback(c, draft), complaints(c, draft));
    detail.append(root);
    if (draft && draft.focus) root.querySelector(`#${draft.focus} textarea`)?.focus();
  }

  function photos(c) {
    const box = el("div", "box photos");
    box.append(el("h3", "", t("case.photos")));
    for (const p of c.photos) {
      const img = el("img");
      img.alt = "";
      box.append(img);
      auth.api(p.url).then((r) => (r.ok ? r.blob() : null)).then((b) => { if (b) img.src = URL.createObjectURL(b); })
        .catch(() => {});
    }
    return box;
  }

  function feedback(c, draft) {
    const box = el("div", "box");
    box.id = "feedback";
    if (c.feedback && c.feedback.at) {
      box.append(el("p", "", t("case.feedback.done", {
        answer: (c.feedback.satisfied ? t("case.feedback.satisfied") : t("case.feedback.unsatisfied")) +
          " · " + "★".repeat(c.feedback.rating || 0) })));
      return box;
    }
    if (!feedbackAsked(c)) { box.hidden = true; return box; }
    let satisfied = null, rating = 0;
    box.append(el("h3", "", t("case.feedback.title")));
    const choice = el("div", "choice");
    const yes = el("button", "", t("case.feedback.satisfied")), no = el("button", "bad", t("case.feedback.unsatisfied"));
    yes.type = no.type = "button";
    yes.id = "feedback-yes";
    no.id = "feedback-no";
    const pick = (v) => {
      satisfied = v;
      box.dataset.satisfied = String(v);
      yes.classList.toggle("on", v);
      no.classList.toggle("on", !v);
      ready();
    };
    yes.addEventListener("click", () => pick(true));
    no.addEventListener("click", () => pick(false));
    choice.append(yes, no);
    const stars = el("div", "rating");
    for (let n = 1; n <= 5; n++) {
      const b = el("button", "", "★" + n);
      b.type = "button";
      b.dataset.rating = String(n);
      b.setAttribute("aria-label", `${t("case.feedback.rating")} ${n}`);
      b.addEventListener("click", () => rate(n));
      stars.append(b);
    }
    function rate(n) {
      rating = n;
      box.dataset.stars = String(n);
      for (const s of stars.children) s.classList.toggle("on", Number(s.dataset.rating) <= n);
      ready();
    }
    const comment = el("textarea");
    comment.maxLength = 2000;
    comment.rows = 2;
    comment.placeholder = t("case.feedback.comment");
    const send = el("button", "big primary", t("case.feedback.send"));
    send.type = "button";
    send.id = "feedback-send";
    send.disabled = true;
    const ready = () => { send.disabled = satisfied === null || rating === 0; };
    const said = el("p", "error");
    send.addEventListener("click", () => post(c.id, "feedback", { satisfied, rating, comment: comment.value.trim() }, said, send));
    box.append(choice, el("p", "muted", t("case.feedback.rating")), stars, comment, send, said);
    if (draft) {
      if (draft.satisfied !== null) pick(draft.satisfied);
      if (draft.rating) rate(draft.rating);
      comment.value = draft.comment;
    }
    return box;
  }

  /** Sent: the form on screen is emptied (a live event may have drawn it again meanwhile). */
  function clearComplaint() {
    const text = detail.querySelector("#complaints textarea");
    if (text) text.value = "";
  }

  function complaints(c, draft) {
    const box = el("details", "box");
    box.id = "complaints";
    box.open = Boolean(c.complaints && c.complaints.length) || Boolean(draft && draft.complaintOpen);
    box.append(el("summary", "", t("case.complaint.title")));
    for (const k of c.complaints || []) {
      box.append(el("p", "", t("case.complaint.item", { n: k.id, text: k.text })));
      box.append(el("p", "muted", k.reply ? t("case.complaint.reply", { text: k.reply })
        : t("case.complaint.waiting", { due: cstShort(k.reply_due) })));
    }
    const text = el("textarea");
    text.maxLength = 2000;
    text.rows = 2;
    text.placeholder = t("case.complaint.placeholder");
    text.value = draft ? draft.complaint : "";
    const send = el("button", "big", t("case.complaint.send"));
    send.type = "button";
    const said = el("p", "error");
    send.addEventListener("click", () => {
      if (text.value.trim()) post(c.id, "complaints", { text: text.value.trim() }, said, send, clearComplaint);
    });
    box.append(text, send, said);
    return box;
  }

  /** `sent`: called once the server took it, before the case is drawn again (a sent complaint
   * is no longer a draft to keep). */
  async function post(id, what, body, said, button, sent = () => {}) {
    said.textContent = "";
    if (!online()) { said.textContent = t("case.online_only"); return; }
    button.disabled = true;
    try {
      const r = await auth.api(`/api/v1/incidents/${encodeURIComponent(id)}/${what}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      if (!r.ok) {
        const p = await r.json().catch(() => ({}));
        const f = p.errors && p.errors[0];
        said.textContent = t("case.refused", { reason: f ? `${f.field}: ${f.message}` : (p.detail || r.status) });
        return;
      }
      sent();
      await open(id);
    } catch {
      said.textContent = t("case.online_only");
    } finally {
      button.disabled = false;
    }
  }

  return { load, upsert, heard, renderList, open, close: () => { openId = null; }, has: (id) => cases.has(id) };
}
