/* The reporter app, wired: the boot data (pages/phone.py), the language, the session kept on
 * the phone (appsignin.js), the user's database and outbox (appoutbox.js) with its triggers
 * (sync.js), the label catalogue, the report flow, My cases with the /live link, and the
 * screens by the url's fragment (#/, #/where, #/done, #/cases, #/case/<id>). Each concern lives
 * in its own module; this one connects them and decides nothing the server owns. */

import { createAuth } from "../shared/auth.js";
import { createAppSession } from "../shared/appsignin.js";
import { openUserData } from "../shared/appoutbox.js";
import { el } from "../shared/dom.js";
import { pickLang, translatePage, translator } from "../shared/i18n.js";
import { LABELS_URL, labelsFor } from "../shared/labels.js";
import { connectLive, createSequencer } from "../shared/live.js";
import { features, installWorker, retireWorker } from "../shared/pwa.js";
import { appDbName, hasIndexedDB, idbKv, memoryKv, openDb } from "../shared/storage.js";
import { keepSending } from "../shared/sync.js";
import { caseNumber } from "./case-text.js";
import { createCasesView } from "./cases-view.js";
import { MESSAGES } from "./messages.js";
import { createOutboxView } from "./outbox-view.js";
import { createReportFlow } from "./report-flow.js";
import { createSignIn } from "./signin-view.js";

/* global io */

const boot = JSON.parse(document.getElementById("boot").textContent);
const APP = boot.app;
const LANG_KEY = `${APP}.lang`;
const lang = pickLang(localStorage.getItem(LANG_KEY));
const t = translator(MESSAGES, lang);
const $ = (id) => document.getElementById(id);
const has = features();
const online = () => navigator.onLine !== false;
const state = { user: null, lastQueued: null, sentCase: null };
window.reporterApp = window.phoneApp = state;  // for the tests: what the page holds; never read by it

document.documentElement.lang = lang;
document.title = t("app.title");
translatePage(document, t);
$("lang").textContent = t("lang.other");
$("lang").addEventListener("click", () => {
  localStorage.setItem(LANG_KEY, lang === "en" ? "zh-CN" : "en");
  location.reload();
});
$("version").textContent = t("version", { v: boot.version });

// What this browser cannot do, said once: plain H5 (WeChat's browser, no service worker or no
// IndexedDB) works online only.
if (!has.indexedDB || !has.serviceWorker) {
  $("banner").textContent = t("h5.note");
  $("banner").hidden = false;
}
const drawNet = () => { $("net").hidden = online(); };
addEventListener("online", drawNet);
addEventListener("offline", drawNet);
drawNet();
if (boot.worker_off) retireWorker(boot.app, boot.scope);
else installWorker(boot.worker, boot.scope).then((how) => { state.worker = how; });

const appKv = hasIndexedDB() ? await openDb(appDbName(APP)).then(idbKv, () => memoryKv()) : memoryKv();
const session = createAppSession({ app: APP, kv: appKv, roles: ["reporter"], onSignedOut: () => showSignIn() });
const signIn = createSignIn({ t, session, onSignedIn: () => { location.hash = "#/"; start(); } });

function showOnly(id) {
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== id;
  $("tabs").hidden = id === "screen-signin" || id === "screen-where";
  $("tab-report").classList.toggle("on", id === "screen-home" || id === "screen-where");
  $("tab-cases").classList.toggle("on", id === "screen-cases" || id === "screen-case");
  scrollTo(0, 0);
}

function showSignIn() {
  showOnly("screen-signin");
  signIn.show();
  document.body.dataset.ready = "1";
}

/** The label catalogue: the copy kept from the last start when there is one (the screen is
 * usable at once, offline too), refreshed from the server for the next start; else fetched. */
async function loadLabels(kv) {
  const fetched = fetch(LABELS_URL, { credentials: "omit" }).then(async (r) => {
    if (!r.ok) throw new Error(String(r.status));
    const doc = await r.json();
    await kv.set("labels", doc).catch(() => {});
    return doc;
  });
  const kept = await kv.get("labels");
  if (kept) { fetched.catch(() => {}); return labelsFor(kept, lang); }
  return labelsFor(await fetched, lang);
}

let started = false;

async function start() {
  const s = await session.current();
  if (s === null) { showSignIn(); return; }
  if (started) { route(); return; }
  started = true;
  state.user = s.user_id;
  const auth = createAuth(session.obtain);
  let outboxView = null, flow = null, cases = null;
  const data = await openUserData({
    app: APP, userId: s.user_id, api: auth.api,
    onChange: () => { if (outboxView) outboxView.render(); },
    onAuth: () => showSignIn(),
    onDone: (item, body) => {
      if (item.kind !== "report" || !body) return;
      if (cases) cases.upsert(body);
      if (item.id === state.lastQueued) {
        state.sentCase = body;
        if (location.hash === "#/done") drawDone();
      }
    },
  });
  state.persistent = data.persistent;
  const labels = await loadLabels(data.kv);
  outboxView = createOutboxView({ t, outbox: data.outbox });
  cases = createCasesView({ t, labels, auth, kv: data.kv, online });
  flow = createReportFlow({
    t, labels, auth, kv: data.kv, outbox: data.outbox, base: boot.base, online,
    onQueued: (id) => { state.lastQueued = id; state.sentCase = null; location.hash = "#/done"; sender.kick(); },
    onFollow: (id) => { location.hash = "#/case/" + encodeURIComponent(id); },
  });
  const sender = keepSending(data.outbox, { onResult: () => outboxView.render() });

  // The category buttons: the catalogue's names, in its order.
  const box = $("categories");
  box.replaceChildren(...inOrder(labels.codes("categories")).map((code) => {
    const b = el("button", "cat", labels.category(code));
    b.type = "button";
    b.dataset.category = code;
    b.addEventListener("click", async () => { await flow.start(code); location.hash = "#/where"; });
    return b;
  }));
  $("where-cancel").addEventListener("click", async () => { await flow.discard(); location.hash = "#/"; });
  $("done-home").addEventListener("click", () => { location.hash = "#/"; });
  $("done-cases").addEventListener("click", () => { location.hash = "#/cases"; });
  $("case-back").addEventListener("click", () => { location.hash = "#/cases"; });
  $("signout").addEventListener("click", async () => {
    const waiting = (await data.outbox.list()).length;
    if (waiting && !confirm(t("signout.unsent", { n: waiting }))) return;
    sender.stop();
    if (live) live.socket.disconnect();
    const heard = await session.signOut({ keepCache: (name) => name.startsWith(`jy311-shell-${APP}-`) });
    if (!heard) alert(t("signout.offline"));
    location.replace(boot.scope);
  });

  function drawDone() {
    const sent = state.sentCase !== null;
    $("done-title").textContent = sent ? t("sent.title") : t("queued.title");
    $("done-title").dataset.state = sent ? "sent" : "queued";
    $("done-lead").textContent = sent ? t("sent.lead", { number: caseNumber(state.sentCase) }) : t("queued.lead");
    $("done-memory").hidden = data.persistent;
  }
  state.drawDone = drawDone;

  routes = {
    "#/": () => { showOnly("screen-home"); outboxView.render(); },
    "#/where": async () => {
      if (!flow.current() && !(await flow.resume())) { location.hash = "#/"; return; }
      showOnly("screen-where");
      flow.show();
    },
    "#/done": () => { showOnly("screen-done"); drawDone(); },
    "#/cases": async () => { showOnly("screen-cases"); cases.close(); await cases.load(); cases.renderList(); },
    "#/case/": async (id) => { showOnly("screen-case"); if (!cases.has(id)) await cases.load(); cases.open(id); },
  };

  // Live: the reporter's room; every snapshot replaces the case; the seq kept for the next start.
  let live = null;
  const seq = Number(await data.kv.get("seq")) || 0;
  const sequencer = createSequencer({ seq, apply: (name, ev) => {
    if (ev.incident) cases.heard(ev.incident);
    data.kv.set("seq", sequencer.lastSeq()).catch(() => {});
  } });
  if (typeof io !== "undefined") {
    live = connectLive({ io, token: auth.token, forget: auth.forget, sequencer,
                         onUp: () => { $("live-banner").hidden = true; },
                         onDown: () => { $("live-banner").hidden = !online() || false; } });
    live.start();
    state.live = live.counts;
  }
  state.outbox = data.outbox;
  await route();
  document.body.dataset.ready = "1";
  cases.load().then(() => cases.renderList());
}

let routes = null;

// The buttons' order on the screen (the catalogue names them; its JSON comes with sorted keys):
// the four the city's rule names, as its document lists them, then any other, "other" last.
const ORDER = ["gate_blocked", "road_blocked", "water_cut", "power_cut"];
function inOrder(codes) {
  const rank = (c) => (ORDER.includes(c) ? ORDER.indexOf(c) : c === "other" ? 99 : 50);
  return [...codes].sort((a, b) => rank(a) - rank(b));
}

async function route() {
  if (routes === null) return;
  const hash = location.hash || "#/";
  if (hash.startsWith("#/case/")) { await routes["#/case/"](decodeURIComponent(hash.slice(7))); return; }
  await (routes[hash] || routes["#/"])();
}

addEventListener("hashchange", () => { route(); });
start();
