/* One task: the case (number, category, description, where, deadlines, the units' marks with an
 * arrival's device time, "sent late" and how it counted, as the server records them), the way
 * there in the phone's map app, and the one next action: accept, check in, restore, resolve.
 *
 * Every action goes through the outbox (shared/outbox.js): written to the phone first with its
 * device time and its Idempotency-Key, then sent in order, exactly once; the screen says
 * "queued" until the server's 2xx and shows the server's answer or refusal after.
 *
 * The check-in: one fresh high-accuracy fix (maximumAge 0), then the distance to the site, the
 * fix's accuracy and the server's radius, before anything is sent; a fix that plainly cannot
 * count is held back on the page with the distance; the server judges again, and its answer
 * (arrived at, or its reason) is shown after. */

import { wgs84ToGcj02 } from "../shared/datum.js";
import { el } from "../shared/dom.js";
import { resizePhoto } from "../shared/photos.js";
import { cst, cstShort } from "../shared/time.js";
import { judgeFix, refusal } from "./checkin.js";
import { amapLink, geoLink } from "./maplinks.js";
import { metres, toFix } from "../shared/trail.js";
import { caseNumber, caseOf, mine, nextAction, stage } from "./tasks.js";

const $ = (id) => document.getElementById(id);

export function createTaskView({ t, labels, unitCode, outbox, rule, kick, tracker, geo = navigator.geolocation }) {
  let current = null;      // the case on screen
  let fix = null;          // the check-in's fix
  let checkinItem = null;  // the queued check-in's outbox id, to show the server's answer
  let answer = null;       // {state: arrived|refused|queued, text}
  let photos = [];         // [{blob, url}] for a restore or resolve
  let noteKind = null;

  $("checkin-locate").addEventListener("click", locate);
  $("checkin-send").addEventListener("click", sendCheckIn);
  $("act").addEventListener("click", act);
  $("note-cancel").addEventListener("click", () => { closeNote(); });
  $("note-send").addEventListener("click", sendNote);
  $("note-photo").addEventListener("change", addPhoto);

  function open(c) {
    if (!current || current.id !== c.id) { fix = null; answer = null; checkinItem = null; closeNote(); $("checkin").hidden = true; }
    current = c;
    return render();
  }

  function close() { current = null; }

  /** The server's newer case (live, or an answer): redrawn when it is the one on screen. */
  function heard(c) {
    if (current && current.id === c.id) { current = c; render(); }
  }

  /** An item left the queue with the server's answer (`onDone`). */
  function done(item, body) {
    if (item.id === checkinItem && body) {
      const u = mine(body, unitCode);
      answer = { state: "arrived", text: t("checkin.arrived", { time: cst(u && u.arrived_at) }) };
      checkinItem = null;
    }
    if (body && current && body.id === current.id) current = { ...current, ...body };
    render();
  }

  async function render() {
    if (!current) return;
    const c = current, u = mine(c, unitCode);
    const items = (await outbox.list()).filter((x) => caseOf(x) === c.id);
    const head = el("div", "detail");
    head.dataset.id = c.id;
    head.dataset.stage = stage(c, unitCode) || "";
    head.append(el("h2", "", `${labels.category(c.category)} · ${caseNumber(c)}`),
                el("p", "stage-line", t("task.mine", { stage: t("stage." + (stage(c, unitCode) || "offered")) })));
    $("task-head").replaceChildren(head);
    const detail = $("task-detail");
    detail.replaceChildren();
    const root = el("div", "detail");
    const dl = el("dl");
    const row = (k, v, id) => { dl.append(el("dt", "", k), el("dd", "", v)); if (id) dl.lastChild.id = id; };
    row(t("task.number"), caseNumber(c), "task-number");
    row(t("task.status"), labels.status(c.status));
    row(t("task.received"), cst(c.received_at));
    row(t("task.where"), c.territory ? c.territory.name : "");
    if (u && u.arrival_due) row(t("task.deadlines"), `${labels.milestone("arrival")} ${cstShort(u.arrival_due)}`
      + (c.deadlines ? ` · ${labels.milestone("restore")} ${cstShort(c.deadlines.restore)}` : ""));
    root.append(dl, el("p", "", c.description || ""));

    const nav = el("div", "nav-links");
    const label = `${labels.category(c.category)} ${caseNumber(c)}`;
    const g = el("a", "", t("task.geo")), a = el("a", "", t("task.amap"));
    g.id = "nav-geo";
    a.id = "nav-amap";
    g.href = geoLink(c.location.lat, c.location.lon, label);
    a.href = amapLink(c.location.lat, c.location.lon, label, wgs84ToGcj02);
    a.target = "_blank";
    a.rel = "noopener";
    nav.append(g, a);
    root.append(el("h3", "", t("task.navigate")), nav);

    const units = el("div", "box");
    units.append(el("h3", "", t("task.units")));
    const ul = el("ul");
    ul.id = "task-units";
    for (const x of c.units || []) {
      const key = x.arrived_at ? "task.unit_arrived" : x.accepted_at ? "task.unit_accepted" : "task.unit_offered";
      const li = el("li", "", t(key, { unit: x.name || x.code, time: cstShort(x.arrived_at || x.accepted_at) }));
      li.dataset.unit = x.code;
      li.dataset.state = x.arrived_at ? "arrived" : x.accepted_at ? "accepted" : "offered";
      if (x.arrived_at && x.arrival_device_time) {
        const marks = [t("task.arrival_device", { time: cst(x.arrival_device_time) })];
        if (x.arrival_sent_late) marks.push(t("task.sent_late"));
        if (x.arrival_counted_at) marks.push(t("task.counted_" + x.arrival_counted_at));
        if (x.arrival_mock_location) marks.push(t("task.mock"));
        const m = el("span", "muted arrival-device", " · " + marks.join(" · "));
        m.dataset.sentLate = String(Boolean(x.arrival_sent_late));
        li.append(m);
      }
      ul.append(li);
    }
    units.append(ul);
    const ms = c.milestones || {};
    if (ms.restored_at) units.append(el("p", "", t("task.restored", { time: cstShort(ms.restored_at) })));
    if (ms.resolved_at) units.append(el("p", "", t("task.resolved", { time: cstShort(ms.resolved_at) })));
    root.append(units);
    detail.append(root);

    // What is queued for this case, in words: never "sent" before the server said so.
    const pending = $("task-pending");
    pending.replaceChildren(...items.filter((x) => x.kind !== "photo").map((x) => {
      const s = el("span", x.state === "failed" ? "failed" : "queued", x.state === "failed"
        ? t("action.failed", { action: t("action." + x.kind), reason: refusal(x.problem) })
        : t("action.queued", { action: t("action." + x.kind), time: cst(x.device_time).slice(11) }));
      s.dataset.kind = x.kind;
      s.dataset.state = x.state;
      return s;
    }));
    // The check-in's answer: the server's refusal of a queued check-in is on its item.
    if (checkinItem !== null) {
      const it = items.find((x) => x.id === checkinItem);
      if (it && it.state === "failed") answer = { state: "refused", text: t("checkin.refused", { reason: refusal(it.problem) }) };
    }
    const out = $("checkin-answer");
    out.textContent = answer ? answer.text : "";
    out.dataset.state = answer ? answer.state : "";
    if (answer && answer.state !== "refused") $("checkin").hidden = true;  // queued or arrived: the answer says it
    if (answer && answer.state === "refused") $("checkin-send").hidden = true;
    const queued = items.filter((x) => x.state === "queued" && x.kind !== "photo").map((x) => x.kind);
    const next = nextAction(c, unitCode, queued);
    const button = $("act");
    button.hidden = next === null || !$("note").hidden || (next === "check-in" && !$("checkin").hidden);
    button.dataset.action = next || "";
    if (next) button.textContent = t("action." + next);
    $("act-none").hidden = next !== null || queued.length > 0;

  }

  async function act() {
    const c = current, kind = $("act").dataset.action;
    if (!c || !kind) return;
    if (kind === "check-in") {
      $("checkin").hidden = false;
      $("act").hidden = true;
      $("checkin").scrollIntoView({ block: "start" });
      return;
    }
    if (kind === "restore" || kind === "resolve") { openNote(kind); return; }
    await outbox.queue({ kind: "accept", label: caseNumber(c), method: "POST",
                         url: `/api/v1/incidents/${encodeURIComponent(c.id)}/accept`, json: null });
    await render();
    kick();
  }

  function locate() {
    const status = $("checkin-verdict");
    $("checkin-send").hidden = true;
    $("checkin-figures").hidden = true;
    answer = null;
    $("checkin-answer").textContent = "";
    status.dataset.ok = "";
    status.textContent = t("checkin.locating");
    if (!geo) { status.textContent = t("checkin.denied", { reason: "no geolocation" }); return; }
    const once = () => new Promise((ok, no) => geo.getCurrentPosition(ok, no,
      { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 }));
    tracker.around(once).then((pos) => {
      fix = toFix(pos);
      const v = judgeFix(fix, current.location, rule, Date.now(), metres);
      $("checkin-figures").hidden = false;
      $("checkin-distance").textContent = t("checkin.metres", { m: v.distance_m });
      $("checkin-accuracy").textContent = "± " + t("checkin.metres", { m: v.accuracy_m });
      $("checkin-radius").textContent = t("checkin.radius_value", { r: v.radius_m, limit: v.limit_m });
      status.dataset.ok = v.ok ? "1" : "0";
      status.dataset.why = v.why || "";
      status.textContent = v.ok ? t("checkin.ok")
        : v.why === "far" ? t("checkin.far", { d: v.distance_m, limit: v.limit_m })
          : t("checkin.stale", { s: Math.round((Date.now() - Date.parse(fix.recorded_at)) / 1000) });
      $("checkin-send").hidden = !v.ok;
      (v.ok ? $("checkin-send") : status).scrollIntoView({ block: "center" });
    }, (err) => {
      status.dataset.ok = "0";
      status.textContent = t("checkin.denied", { reason: err.message || err.code });
    });
  }

  async function sendCheckIn() {
    const c = current;
    if (!c || !fix) return;
    $("checkin-send").hidden = true;
    const body = { location: { lat: fix.lat, lon: fix.lon, accuracy_m: fix.accuracy_m, crs: "wgs84" },
                   recorded_at: fix.recorded_at };
    if (typeof fix.mock_location === "boolean") body.mock_location = fix.mock_location;
    checkinItem = await outbox.queue({ kind: "check-in", label: caseNumber(c), method: "POST",
                                       url: `/api/v1/incidents/${encodeURIComponent(c.id)}/check-in`, json: body });
    // In IndexedDB now: only now may the screen say "queued".
    answer = { state: "queued", text: t("checkin.queued", { time: cst(fix.recorded_at) }) };
    await render();
    scrollTo(0, 0);
    kick();
  }

  function openNote(kind) {
    noteKind = kind;
    $("note-title").textContent = t("note.title." + kind);
    $("note").hidden = false;
    $("act").hidden = true;
    $("note-text").focus();
  }

  function closeNote() {
    noteKind = null;
    for (const p of photos) URL.revokeObjectURL(p.url);
    photos = [];
    $("note").hidden = true;
    $("note-text").value = "";
    $("note-thumbs").replaceChildren();
    $("note-photo-status").textContent = "";
  }

  async function addPhoto(e) {
    const file = e.target.files && e.target.files[0];
    e.target.value = "";
    if (!file) return;
    try {
      const small = await resizePhoto(file);
      const url = URL.createObjectURL(small.blob);
      photos.push({ blob: small.blob, url });
      const img = el("img");
      img.src = url;
      img.alt = "";
      $("note-thumbs").append(img);
      $("note-photo-status").textContent = t("note.photos", { n: photos.length });
    } catch (err) {
      $("note-photo-status").textContent = t("photo.failed", { reason: err.message || String(err) });
    }
  }

  async function sendNote() {
    const c = current, kind = noteKind;
    if (!c || !kind) return;
    const note = $("note-text").value.trim();
    const children = photos.map((p, i) => ({
      kind: "photo", label: caseNumber(c), url: "/api/v1/incidents/{parent}/photos",
      parts: [{ name: "photos", blob: p.blob, filename: `${kind}-${i + 1}.jpg` }] }));
    await outbox.queue({ kind, label: caseNumber(c), method: "POST",
                         url: `/api/v1/incidents/${encodeURIComponent(c.id)}/${kind}`,
                         json: { note, recorded_at: new Date().toISOString() } }, children);
    closeNote();
    await render();
    scrollTo(0, 0);
    kick();
  }

  return { open, close, heard, done, render, current: () => current };
}
