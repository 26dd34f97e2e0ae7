/* The officer app, wired: the boot data (pages/phone.py; `checkin` is the server's rule, for
 * display), the language, the session kept on the phone (appsignin.js), the user's database and
 * outbox (appoutbox.js) with its triggers (sync.js), the position tracker, the label catalogue,
 * the unit's task list live through `/live` + `resync`, and the screens by the url's fragment
 * (#/, #/task/<id>). Each concern lives in its own module; this one connects them and decides
 * nothing the server owns. */

import { createAuth } from "../shared/auth.js";
import { bootPage, connectAppLive, loadKeptLabels, online, openAppKv, wireSignOut } from "../shared/appboot.js";
import { createAppSession, SignInRefused } from "../shared/appsignin.js";
import { openUserData, webLock } from "../shared/appoutbox.js";
import { createSequencer } from "../shared/live.js";
import { createOutboxView } from "../shared/outboxview.js";
import { userDbName } from "../shared/storage.js";
import { keepSending } from "../shared/sync.js";
import { cstClock } from "../shared/time.js";
import { trailLockName } from "../shared/trailsync.js";
import { refusal } from "./checkin.js";
import { MESSAGES } from "./messages.js";
import { createTaskView } from "./task-view.js";
import { active, isTask } from "./tasks.js";
import { createTasksView } from "./tasks-view.js";
import { createTracker } from "./tracker.js";

const $ = (id) => document.getElementById(id);
const state = { user: null, unit: null, cases: new Map(), shown: {} };
window.officerApp = window.phoneApp = state;  // for the tests: what the page holds; never read by it
const { boot, app: APP, lang, t } = bootPage({ messages: MESSAGES, state });

performance.mark("officer:modules");
const appKv = await openAppKv(APP);
const session = createAppSession({ app: APP, kv: appKv, roles: ["officer"], onSignedOut: () => showSignIn() });

function showOnly(id) {
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== id;
  $("tabs").hidden = id === "screen-signin";
  $("tab-tasks").classList.toggle("on", id === "screen-tasks");
  scrollTo(0, 0);
}

function showSignIn() {
  showOnly("screen-signin");
  $("track").hidden = true;
  session.lastUsername().then((u) => { if (!$("username").value) $("username").value = u; });
  document.body.dataset.ready = "1";
}

$("signin").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target, error = $("signin-error");
  error.hidden = true;
  const username = form.username.value.trim(), password = form.password.value;
  const say = (key) => { error.textContent = t(key); error.hidden = false; };
  if (!username || !password) { say("signin.missing"); return; }
  $("signin-submit").disabled = true;
  try {
    await session.signIn(username, password);
    form.password.value = "";
    location.hash = "#/";
    start();
  } catch (err) {
    say(err instanceof SignInRefused ? "signin." + err.reason : "signin.server");
  } finally {
    $("signin-submit").disabled = false;
  }
});

let started = false, routes = null;

async function start() {
  const s = await session.current();
  performance.mark("officer:session");
  if (s === null) { showSignIn(); return; }
  if (started) { route(); return; }
  started = true;
  state.user = s.user_id;
  state.unit = s.unit_code;
  const auth = createAuth(session.obtain);
  let outboxView = null, taskView = null, tasksView = null;
  const redraw = () => {
    if (outboxView) outboxView.render();
    drawList();
    if (taskView) taskView.render();
  };
  const data = await openUserData({
    app: APP, userId: s.user_id, api: auth.api, onChange: redraw, onAuth: () => showSignIn(),
    onDone: (item, body) => {
      if (body && body.id && item.kind !== "photo") upsert(body);
      if (taskView) taskView.done(item, body);
    },
  });
  performance.mark("officer:userdata");
  state.persistent = data.persistent;
  state.outbox = data.outbox;
  const labels = await loadKeptLabels(data.kv, lang);
  performance.mark("officer:labels");
  const tracker = createTracker({ kv: data.kv, api: auth.api, lock: webLock(trailLockName(userDbName(APP, s.user_id))),
                                  onChange: () => { drawTrack(); if (outboxView) outboxView.render(); } });
  state.tracker = tracker;
  outboxView = createOutboxView({
    t, outbox: data.outbox, waiting: () => tracker.state().buffer.length, reason: (p) => refusal(p) || p.status,
    title: (item) => `${item.kind === "photo" ? t("outbox.photo") : t("action." + item.kind)} · ${item.label || ""}`,
    clock: (time) => time.slice(5, 19),
  });
  tasksView = createTasksView({ t, labels, unitCode: state.unit });
  // The position backlog goes before the queued actions: the server judges an offline check-in
  // against the officer's stored positions (README "Offline actions and device times").
  const sender = keepSending({ flush: async (o) => { await tracker.flush(); return data.outbox.flush(o); } },
                             { onResult: (summary) => { if (summary === null) tracker.reread(); redraw(); } });
  taskView = createTaskView({ t, labels, unitCode: state.unit, outbox: data.outbox, rule: boot.checkin,
                              tracker, kick: () => sender.kick() });
  // The unit's name as people say it (the catalogue of units; kept for offline starts).
  const drawUnit = (name) => { $("tasks-unit").textContent = t("tasks.unit", { unit: name || state.unit || "" }); };
  drawUnit(await data.kv.get("unit_name"));
  auth.apiJson("/api/v1/units").then((ans) => {
    const u = ans.items.find((x) => x.code === state.unit);
    if (u) { drawUnit(u.name); data.kv.set("unit_name", u.name).catch(() => {}); }
  }).catch(() => { /* offline: the kept name, or the code */ });

  // The cases: the last list kept on the phone first (usable offline at once), then the server's.
  for (const c of (await data.kv.get("cases")) || []) state.cases.set(c.id, c);
  const persist = () => data.kv.set("cases", [...state.cases.values()]).catch(() => {});

  function upsert(c) {
    const known = state.cases.get(c.id);
    const merged = known ? { ...known, ...c, milestones: { ...known.milestones, ...c.milestones },
                             units: (c.units || known.units || []).map((u) => ({ ...((known.units || []).find((k) => k.code === u.code) || {}), ...u })) } : c;
    state.cases.set(c.id, merged);
    persist();
    drawList();
    taskView.heard(merged);
    follow();
  }

  async function load() {
    try {
      const ans = await auth.apiJson("/api/v1/incidents?per_page=100&status=reported,dispatched,on_site,restored,reopened");
      const fresh = new Map(ans.items.map((c) => [c.id, c]));
      for (const id of [...state.cases.keys()]) if (!fresh.has(id)) state.cases.delete(id);
      for (const c of fresh.values()) state.cases.set(c.id, c);
      $("tasks-note").hidden = true;
      persist();
    } catch {
      $("tasks-note").hidden = false;
    }
    drawList();
    follow();
  }

  async function drawList() {
    if (!tasksView) return;
    const queued = await data.outbox.list();
    tasksView.render([...state.cases.values()], queued);
    state.shown.tasks = [...document.querySelectorAll("#task-list li[data-id]")].map((li) => li.dataset.id);
  }

  /** Tracking on while this officer has a task taken and not solved (what is queued counts: an
   * accept sent offline starts it too). */
  async function follow() {
    const queued = (await data.outbox.list()).filter((x) => x.kind === "accept" && x.state === "queued");
    const on = [...state.cases.values()].some((c) => active(c, state.unit, state.user)
      || (isTask(c, state.unit) && queued.some((x) => x.url.includes(encodeURIComponent(c.id)))));
    await tracker.set(on);
  }

  function drawTrack() {
    const st = tracker.state();
    $("track").hidden = !st.on;
    if (!st.on) return;
    $("track").dataset.state = st.paused ? "paused" : st.error ? "denied" : "on";
    $("track-state").textContent = st.paused ? t("track.paused") : st.error ? t("track.denied", { reason: st.error }) : t("track.on");
    $("track-last").textContent = st.last ? t("track.last", { time: cstClock(st.last.recorded_at), m: Math.round(st.last.accuracy_m) }) : t("track.waiting");
    const notes = [];
    if (st.wasPaused) notes.push(t("track.was_paused", { from: cstClock(st.wasPaused.from), to: cstClock(st.wasPaused.to) }));
    if (st.wakeMissing) notes.push(t("track.nowake"));
    $("track-note").hidden = notes.length === 0;
    $("track-note").textContent = notes.join(" ");
  }

  $("task-back").addEventListener("click", () => { location.hash = "#/"; });
  wireSignOut({ t, app: APP, scope: boot.scope, session, outbox: data.outbox,
                stop: () => { sender.stop(); tracker.stop(); if (live) live.socket.disconnect(); } });

  routes = {
    "#/": () => { taskView.close(); showOnly("screen-tasks"); drawList(); outboxView.render(); },
    "#/task/": async (id) => {
      showOnly("screen-task");
      let c = state.cases.get(id);
      if (online()) {
        try { c = await auth.apiJson("/api/v1/incidents/" + encodeURIComponent(id)); upsert(c); } catch { /* kept copy */ }
      }
      if (!c) { location.hash = "#/"; return; }
      await taskView.open(state.cases.get(id) || c);
    },
  };

  // Live: the unit's room; a task.offered carries the new case; every snapshot is merged at once,
  // then the case read again (a snapshot is compact). The seq is kept for the next start.
  let live = null;
  const seq = Number(await data.kv.get("seq")) || 0;
  const pending = new Map();
  const sequencer = createSequencer({ seq, apply: (name, ev) => {
    if (ev && ev.incident) {
      upsert(ev.incident);
      state.heardAt = Date.now();
      const id = ev.incident.id;
      if (online() && !pending.has(id)) {
        pending.set(id, setTimeout(async () => {
          pending.delete(id);
          try { upsert(await auth.apiJson("/api/v1/incidents/" + encodeURIComponent(id))); } catch { /* next event */ }
        }, 250));
      }
    }
    data.kv.set("seq", sequencer.lastSeq()).catch(() => {});
  } });
  live = connectAppLive({ auth, sequencer, state });
  performance.mark("officer:live");
  await route();
  performance.mark("officer:ready");
  document.body.dataset.ready = "1";
  load();
  addEventListener("online", load);
}

async function route() {
  if (routes === null) return;
  const hash = location.hash || "#/";
  if (hash.startsWith("#/task/")) { await routes["#/task/"](decodeURIComponent(hash.slice(7))); return; }
  await routes["#/"]();
}

addEventListener("hashchange", () => { route(); });
start();
