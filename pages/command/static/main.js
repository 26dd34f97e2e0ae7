/* The command center page, wired: the boot data (messages, role, settings for drawing), the
 * token (auth.js), the label catalogue (labels.js), the cases (state.js), the map, the board, a
 * case's detail, alerts and the assessment, the /live link (live.js), tabs and filters in the
 * URL. Each concern lives in its own module; this one only connects them, batches drawing into
 * one animation frame, and moves the clocks every second. It decides nothing about a clock:
 * every state comes from the instants the server sent (clocks.js).
 * Over 400 lines: it is the page's composition root (twenty modules created and connected, the
 * view in the URL, the frame's batching); each part it wires holds its own logic elsewhere. */

import { createAuth, sessionTokens, SignedOut } from "/static/shared/auth.js";
import { displayer } from "/static/shared/datum.js";
import { el } from "/static/shared/dom.js";
import { loadLabels } from "/static/shared/labels.js";
import { connectLive, createSequencer } from "/static/shared/live.js";
import { cst } from "/static/shared/time.js";
import { createActions } from "./actions.js";
import { createAlerts } from "./alerts.js";
import { createAssessment } from "./assessment.js";
import { createBoard, tickClocks } from "./board.js";
import { createClockQueue } from "./clockqueue.js";
import { createPins } from "./pins.js";
import { caseState } from "./clocks.js";
import { createDetail } from "./detail.js";
import { createMapLayers } from "./map-layers.js";
import { createOnTheWay } from "./ontheway.js";
import { createOrder, entryOf } from "./order.js";
import { createSearch } from "./search.js";
import { createSites } from "./sites.js";
import { createSound } from "./sound.js";
import { HIDDEN_STATUS, createCases, fromFeature, fromIncident, visible } from "./state.js";
import { createTerritory } from "./territory.js";
import { createTally } from "./totals.js";
import { createTotalsView } from "./totals-view.js";
import { createTrails } from "./trails.js";
import { passes, readFullView, writeFullView } from "./urlstate.js";

/* global io */

const boot = JSON.parse(document.getElementById("boot").textContent);
const T = boot.messages;
const t = (key) => (Object.hasOwn(T, key) ? T[key] : key);
const banner = document.getElementById("live-banner"), dot = document.getElementById("live-status");
const layoutBox = document.querySelector("main.layout");
const counts = { applied: 0, alerts: 0, beeps: 0, chimes: 0 };
const unitNames = {}, officerNames = {};
const unitName = (code) => unitNames[code] || code;
let downSince = null;

function linkDown() {
  if (downSince === null) downSince = Date.now();
  banner.textContent = t("live.down") + " " + cst(downSince) + " (UTC+8)";
  banner.hidden = false;
  dot.className = "live-status down";
  dot.title = banner.textContent;
}

function linkUp() {
  downSince = null;
  banner.hidden = true;
  dot.className = "live-status up";
  dot.title = t("live.up");
}

function signInAgain() {
  location.assign("/command/sign-in?next=" + encodeURIComponent(location.pathname + location.search + location.hash));
}

const auth = createAuth(sessionTokens({ csrf: boot.csrf, onSignedOut: signInAgain }));
// The cases are the longest read (seconds at 5,000 cases): asked for first, while the labels,
// the units and the boundaries load (its seq keeps the live events after it exact).
const casesRead = auth.apiJson("/api/v1/map/incidents");
casesRead.catch(() => 0);  // awaited below; a failure is shown there
let labels;
try {
  labels = await loadLabels(boot.lang);
} catch (e) {
  linkDown();
  banner.textContent = String(e.message || e);
  throw e;
}

const view = readFullView(location.hash);
const me = { unit: boot.unit, userId: boot.user_id };
let found = null;  // the ids the search found, or null: no search
const pass = (c) => passes(c, view, me, found);
const pins = createPins(), pinned = pins.pinned;  // new reports on top until opened here
window.addEventListener("pagehide", () => pins.flush());
const cases = createCases();
const show = displayer(boot.tile_datum);
const layers = createMapLayers({ boot, t, labels, show, onOpen: openDetail, onOfficer: openOfficer });
const onTheWay = createOnTheWay({ t, auth });
const trails = createTrails({ map: layers.map, show, auth });
const territory = createTerritory({ map: layers.map, show });
const sites = createSites({ map: layers.map, show, auth, t, role: boot.role });
const totals = createTotalsView({ t, unitName });
const board = createBoard({ t, labels, unitName, onOpen: openDetail });
const actions = createActions({ boot, t, auth, unitName, officerNames, onDone: () => detail.refresh() });
const detail = createDetail({ boot, t, labels, auth, show, unitName, officerNames, onClose: closeDetail,
                              onDrawn: (inc) => actions.draw(inc) });
const sound = createSound({ t, counts, switchBox: document.getElementById("sound-switch"),
                            note: document.getElementById("sound-note") });
const alerts = createAlerts({ t, labels, caseOf: (id) => cases.get(id), unitName, onOpen: openDetail,
                             counts, sound });
const search = createSearch({ t, labels, auth, onOpen: openDetail, onFound: (ids) => {
  found = ids;
  everything();
} });
const assessment = createAssessment({ t, labels, auth, unitName });

// ---- drawing, batched into one animation frame ------------------------------------------------
// Per frame, the work is the changed cases' (issue 17's performance, 5,000 cases and 10 reports a
// second): each changed case is put back in the board's order (order.js) and the totals
// (totals.js's tally), its marker changed in place; only a change of the view (a filter, a
// search) walks every case.
const dirty = new Set();
const order = createOrder(), tally = createTally();
let boardDirty = false, boardNow = false, viewChanged = false, frame = 0;
// Events redraw the board 100 ms after the first of a burst (a report's 3-5 events, sent
// together, then cost one redraw and show together; at most 10 redraws a second); what the
// operator does (a filter, a page, a case opened) redraws it at the next frame.
const BOARD_MS = 100;
let boardAt = 0, boardLater = 0;

function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

function render() {
  frame = 0;
  const now = Date.now();
  if (viewChanged) {
    viewChanged = false;
    tally.reset();
    const entries = [];
    for (const c of cases.values()) {
      const state = caseState(c.clocks, now), shown = visible(c, view, now) && pass(c);
      layers.placeCase(c, state, shown);
      if (shown) { entries.push(entryOf(c, now, pinned, pinned)); tally.set(c.id, c, state); }
    }
    order.reset(entries);
    dirty.forEach((id) => { board.invalidate(id, cases.get(id), now); if (!cases.get(id)) layers.removeCase(id); });
    dirty.clear();
  }
  dirty.forEach((id) => {
    const c = cases.get(id);
    board.invalidate(id, c, now);
    if (!c) { pins.unpin(id); layers.removeCase(id); order.set(id, null); tally.set(id, null); return; }
    const state = caseState(c.clocks, now), shown = visible(c, view, now) && pass(c);
    layers.placeCase(c, state, shown);
    order.set(id, shown ? entryOf(c, now, pinned, pinned) : null);
    tally.set(id, shown ? c : null, state);
  });
  dirty.clear();
  layers.flush();
  if (boardDirty && !boardNow && !boardAt) boardAt = now + BOARD_MS;  // the burst's first event
  if (boardDirty && !boardNow && now < boardAt) {
    if (!boardLater) boardLater = setTimeout(() => { boardLater = 0; schedule(); }, boardAt - now);
  } else if (boardDirty) {
    boardAt = 0;
    boardNow = false;
    board.render(order, view, now, { pinned, built: (tr) => onTheWay.decorateRow(tr, now) });
    totals.update(tally.current);
    boardDirty = false;
  }
}

function changed(id) {
  dirty.add(id);
  boardDirty = true;
  schedule();
}

/** The view changed (filters, search, page): every case judged again, once. */
function everything() {
  viewChanged = true;
  boardDirty = boardNow = true;
  schedule();
}

let loading = false;  // the first read: drawn once, after it (`everything`)
function upsert(c) {
  if (!cases.put(c)) clocksOf.delete(c.id);
  else clocksOf.add(c, Date.now());
  if (!loading) changed(c.id);
}

// Every second the countdowns on screen move, and a case whose state changed by the clock (its
// warning or its deadline passed: clocks.js's nextChange, kept in a queue by instant) is redrawn.
const clocksOf = createClockQueue();
setInterval(() => {
  const now = Date.now();
  board.tick(now);
  tickClocks(document.getElementById("detail"), now, t("time.day"));
  for (const id of clocksOf.due(now)) changed(id);
  layers.fadeOfficers(now);
  pins.flush();
}, 1000);

// ---- the view in the URL -----------------------------------------------------------------------
function saveView() {
  history.replaceState(null, "", location.pathname + location.search + writeFullView(view));
}

function openDetail(id) {
  if (pins.unpin(id)) changed(id);
  view.caseId = id;
  saveView();
  boardDirty = boardNow = true;
  schedule();
  layoutBox.classList.add("detail-open");
  detail.open(id);
  onTheWay.showCase(id);
  trails.only(onTheWay.officersOf(id));
}

/** An officer's marker clicked: their trail, and the case they work opened. */
function openOfficer(officerId) {
  trails.draw(officerId).catch(() => 0);
  const caseId = onTheWay.caseOf(officerId);
  if (caseId) openDetail(caseId);
}

onTheWay.onChange(() => {
  onTheWay.decorate(board.shownRows());
  if (view.caseId) onTheWay.showCase(view.caseId);
});

function closeDetail() {
  view.caseId = "";
  saveView();
  layoutBox.classList.remove("detail-open");
  detail.close();
  actions.clear();
  boardDirty = boardNow = true;
  schedule();
}

function showTab() {
  ["ops", "stats"].forEach((name) => {
    document.getElementById("view-" + name).classList.toggle("active", view.tab === name);
    document.getElementById("tab-" + name).classList.toggle("active", view.tab === name);
  });
  if (view.tab === "ops") layers.invalidateSize();
  if (view.tab === "stats" && !assessment.loaded) assessment.load();
}

function fillSelect(id, codes, name) {
  const sel = document.getElementById(id);
  codes.forEach((code) => { const o = el("option", "", name(code)); o.value = code; sel.appendChild(o); });
}

const FILTERS = { "f-unit": "unit", "f-category": "category", "f-status": "status", "f-town": "town" };
const mineBox = document.getElementById("f-mine");  // a dispatcher's only

function viewToForm() {
  for (const [id, key] of Object.entries(FILTERS)) document.getElementById(id).value = view[key];
  document.getElementById("f-overdue").checked = view.overdue;
  if (mineBox) mineBox.checked = view.mine;
}

function formToView() {
  const unitBefore = view.unit;
  for (const [id, key] of Object.entries(FILTERS)) view[key] = document.getElementById(id).value;
  view.overdue = document.getElementById("f-overdue").checked;
  view.mine = Boolean(mineBox && mineBox.checked);
  view.page = 1;
  saveView();
  everything();
  if (view.unit !== unitBefore) territory.focus(view.unit);
}

document.querySelectorAll(".tabs button").forEach((b) => {
  b.addEventListener("click", () => { view.tab = b.dataset.tab; saveView(); showTab(); });
});
fillSelect("f-category", labels.codes("categories"), labels.category);
fillSelect("f-status", labels.codes("statuses").filter((s) => s !== HIDDEN_STATUS), labels.status);
[...Object.keys(FILTERS), "f-overdue"].forEach((id) => document.getElementById(id).addEventListener("change", formToView));
if (mineBox) mineBox.addEventListener("change", formToView);
[["board-prev", -1], ["board-next", 1]].forEach(([id, step]) => {
  document.getElementById(id).addEventListener("click", () => {
    view.page = Math.max(1, view.page + step);
    saveView();
    boardDirty = boardNow = true;
    schedule();
    document.getElementById("board-box").scrollTop = 0;
  });
});
window.addEventListener("hashchange", () => {
  const was = view.q;
  Object.assign(view, readFullView(location.hash));
  if (view.q !== was) search.start(view.q, searched);
  viewToForm();
  showTab();
  everything();
  if (view.caseId && view.caseId !== detail.currentId()) openDetail(view.caseId);
  if (!view.caseId && detail.currentId()) closeDetail();
});

// ---- live events -------------------------------------------------------------------------------
function apply(name, d) {
  if (name === "officer.position") {
    if (d.name) officerNames[d.officer_id] = d.name;
    layers.officerPosition(d, (d.name || d.officer_id) + " · " + (unitName(d.unit) || ""));
    return;
  }
  counts.applied += 1;
  if (d.type === "reported" && d.incident_id && !pins.chimed(d.incident_id)) newReport(d);
  if (d.incident && d.incident.id) {
    const before = cases.get(d.incident.id), after = fromIncident(d.incident);
    upsert(after);
    // Someone accepted or arrived: who is on the way changed (read again, coalesced).
    if ((before ? accepted(before) : 0) !== accepted(after) || (before && after.status === "on_site" && before.status !== "on_site")) onTheWay.refreshSoon();
  }
  if (name === "incident.overdue") alerts.overdue(d);
  if (name === "incident.reminded" && boot.role === "dispatcher") alerts.reminded(d);
  if (detail.currentId() === d.incident_id) detail.refresh();
}

/* A new report: pinned on top of the board until someone here opens it, flashing, and one
 * chime (not the overdue beep). */
function newReport(d) {
  pins.pin(d.incident_id, Date.parse(d.at) || Date.now());
  sound.play("report");
  if (view.page !== 1) { view.page = 1; saveView(); }
  boardDirty = true;
  schedule();
}

function searched(text) {
  if (text === view.q) return;
  view.q = text;
  view.page = 1;  // a new search starts on its first page; a reload keeps the page
  saveView();
}
function accepted(c) { return c.units.filter((u) => u.accepted).length; }

const sequencer = createSequencer({ apply });
const live = connectLive({ io, token: () => auth.token(), forget: auth.forget, sequencer,
                           onUp: linkUp, onDown: linkDown });

// ---- first load --------------------------------------------------------------------------------
async function loadUnits() {
  const j = await auth.apiJson("/api/v1/units");
  const sel = document.getElementById("f-unit");
  j.items.forEach((u) => {
    unitNames[u.code] = u.name;
    if (u.kind === "territory") {
      const town = el("option", "", u.name);
      town.value = u.code;
      document.getElementById("f-town").appendChild(town);
    }
    if (boot.role === "dispatcher" && u.code !== boot.unit) return;
    const o = el("option", "", u.name);
    o.value = u.code;
    sel.appendChild(o);
  });
  sel.value = view.unit;
  document.getElementById("f-town").value = view.town;
}

/* A dispatcher starts on its own territory (a department's covers the city); a chosen unit in
 * the URL is focused too. The empty board says whose board it is. */
function startOnTerritory() {
  if (boot.role === "dispatcher" && boot.unit) {
    const name = unitName(boot.unit);
    const who = document.getElementById("who-unit");
    if (who) who.textContent = name;
    document.getElementById("board-empty").textContent = t("board.empty_unit").replace("{unit}", name);
    territory.focus(boot.unit);
  } else if (view.unit) {
    territory.focus(view.unit);
  }
}

/* Every open case we may see, in one read, with the log's seq at that read: live events at or
 * below it are already in it. */
async function loadCases() {
  const fc = await casesRead;
  const all = fc.features, STEP = 1000;
  loading = true;
  for (let i = 0; i < all.length; i += STEP) {
    if (i) await new Promise((go) => setTimeout(go, 0));  // the browser breathes between slices
    for (let k = i; k < Math.min(all.length, i + STEP); k += 1) upsert(fromFeature(all[k], unitNames));
  }
  loading = false;
  sequencer.advance(fc.seq || 0);
}

// What the tests (and a curious operator's console) can read.
const state = {
  get applied() { return counts.applied; }, get alerts() { return counts.alerts; },
  get beeps() { return counts.beeps; }, get chimes() { return counts.chimes; },
  get connects() { return live.counts.connects; },
  get resyncs() { return live.counts.resyncs; }, ready: false,
};
window.commandCenter = {
  state,
  lastSeq: () => sequencer.lastSeq(),
  caseIds: () => cases.ids(),
  caseState: (id) => { const c = cases.get(id); return c ? caseState(c.clocks, Date.now()) : null; },
  markerState: layers.drawnState,  // the state the case's marker is drawn in
  hasMarker: layers.hasMarker, markerPoint: layers.markerPoint, rawPoint: layers.rawPoint,
  focus: layers.focus, zoom: layers.zoom, officerIds: layers.officerIds,
  totals: () => totals.current(), trails: () => trails.drawn(), openOfficer,
  territory: () => territory.focused(), onTheWay: (id) => onTheWay.officersOf(id),
  refreshOfficers: () => onTheWay.load(), sites: () => sites.count(),
  socket: live.socket,
  pinnedIds: () => Array.from(pinned.keys()),
  alertGroups: () => alerts.groups(),
  soundBlocked: () => sound.blocked(),
};

viewToForm();
showTab();
try {
  await Promise.all([loadUnits(), auth.apiJson("/api/v1/units/boundaries").then((fc) => {
    layers.addBoundaries(fc, unitNames);
    territory.setBoundaries(fc);
  })]);
  startOnTerritory();
  await loadCases();
  search.start(view.q, searched);
  everything();  // the board drawn even when there is no case (it says so)
  onTheWay.start();  // who is on the way arrives with the first read, not before the page is usable
  state.ready = true;
  document.body.dataset.ready = "1";
  live.start();
  if (view.caseId) openDetail(view.caseId);
} catch (e) {
  if (!(e instanceof SignedOut)) {
    linkDown();
    banner.textContent = String((e && e.message) || e);
  }
}
