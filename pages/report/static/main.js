/* The reporter app, wired: the boot data (pages/phone.py), the language, the session kept on
 * the phone (appsignin.js), the user's database and outbox (appoutbox.js) with its triggers
 * (sync.js), the label catalogue, the report flow, My cases with the /live link, and the
 * screens by the url's fragment (#/, #/where, #/done, #/cases, #/case/<id>). Each concern lives
 * in its own module; this one connects them and decides nothing the server owns. */

import { createAuth } from "../shared/auth.js";
import { bootPage, connectAppLive, loadKeptLabels, online, openAppKv, wireSignOut } from "../shared/appboot.js";
import { createAppSession } from "../shared/appsignin.js";
import { openUserData } from "../shared/appoutbox.js";
import { el } from "../shared/dom.js";
import { createSequencer } from "../shared/live.js";
import { createOutboxView } from "../shared/outboxview.js";
import { keepSending } from "../shared/sync.js";
import { caseNumber } from "./case-text.js";
import { createCasesView } from "./cases-view.js";
import { MESSAGES } from "./messages.js";
import { createReportFlow } from "./report-flow.js";
import { createSignIn } from "./signin-view.js";

const $ = (id) => document.getElementById(id);
const state = { user: null, lastQueued: null, sentCase: null };
window.reporterApp = window.phoneApp = state;  // for the tests: what the page holds; never read by it
const { boot, app: APP, lang, t } = bootPage({ messages: MESSAGES, state });

const appKv = await openAppKv(APP);
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

/** A refused item's reason in words: the server's status and its first field's message, else
 * its detail or title. */
function refusal(problem) {
  if (!problem) return "";
  const field = problem.errors && problem.errors[0];
  const detail = field ? `${field.field}: ${field.message}` : (problem.detail || problem.title || "");
  return `${problem.status || ""} ${detail}`.trim();
}

/** What a queued item is: the report's category, or a photo of a report (its category). */
function outboxTitle(item, items) {
  if (item.kind !== "photo") return item.label || item.kind;
  const parent = items.find((x) => x.id === item.parent);
  return t("outbox.photo_of", { label: (parent && parent.label) || item.label || t("outbox.photo") });
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
  const labels = await loadKeptLabels(data.kv, lang);
  outboxView = createOutboxView({ t, outbox: data.outbox, title: outboxTitle, reason: refusal,
                                 clock: (time) => time.slice(5, 16) });
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
  wireSignOut({ t, app: APP, scope: boot.scope, session, outbox: data.outbox,
                stop: () => { sender.stop(); if (live) live.socket.disconnect(); } });

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
  live = connectAppLive({ auth, sequencer, state });
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
