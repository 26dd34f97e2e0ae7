/* The command center page: the map, the board, a case's detail, live events and alerts, and the
 * units' assessment. Everything comes from the JSON API and the /live socket, with a short-lived
 * bearer token from this page's session (POST /command/token). User text is only ever set with
 * textContent (never innerHTML); DOM updates are batched into one animation frame. */
(function () {
  "use strict";

  var boot = JSON.parse(document.getElementById("boot").textContent);
  var T = boot.messages;
  function t(key) { return Object.prototype.hasOwnProperty.call(T, key) ? T[key] : key; }
  var show = Datum.displayer(boot.tile_datum);
  var OPEN = ["reported", "dispatched", "on_site", "restored", "resolved", "reopened"];
  var CATEGORIES = ["gate_blocked", "road_blocked", "water_cut", "power_cut", "other"];
  var STATE_COLOURS = { on_time: "#2f9e44", near: "#f08c00", overdue: "#e03131",
                        restored: "#1c7ed6", resolved: "#868e96" };
  var STATE_RANK = { overdue: 4, near: 3, on_time: 2, restored: 1, resolved: 0 };
  // "Deadline near" is the deadline_near notice's window: its lead per category and milestone.
  function nearMs(category, name) {
    var w = boot.warnings_s[category] || boot.warnings_s.other || {};
    return (w[name] || 0) * 1000;
  }
  var BOARD_ROWS = 200;

  // ---- small helpers -----------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function ms(iso) { return iso ? Date.parse(iso) : null; }
  /* China Standard Time has no daylight saving: UTC+8 always. */
  function cst(iso) {
    if (!iso) return "";
    var d = new Date(Date.parse(iso) + 8 * 3600e3);
    return d.toISOString().slice(0, 19).replace("T", " ");
  }
  function cstShort(iso) { return cst(iso).slice(5, 16); }
  function countdown(msLeft) {
    var neg = msLeft < 0, s = Math.floor(Math.abs(msLeft) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    var m = Math.floor(s % 3600 / 60), sec = s % 60;
    var txt = (d ? d + "d " : "") + (d || h ? String(h).padStart(2, "0") + ":" : "") +
      String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
    return (neg ? "-" : "") + txt;
  }

  // ---- the token and the API ---------------------------------------------------------------
  var token = null, tokenAt = 0;
  function signInAgain() {
    location.assign("/command/sign-in?next=" + encodeURIComponent(location.pathname + location.search + location.hash));
  }
  function getToken(force) {
    if (!force && token && Date.now() - tokenAt < boot.token_ttl_s * 800) return Promise.resolve(token);
    return fetch("/command/token", { method: "POST", credentials: "same-origin",
                                     headers: { "X-CSRFToken": boot.csrf } })
      .then(function (r) {
        if (r.status === 401 || r.status === 400) { signInAgain(); throw new Error("signed out"); }
        if (!r.ok) throw new Error("token: " + r.status);
        return r.json();
      })
      .then(function (j) { token = j.access_token; tokenAt = Date.now(); return token; });
  }
  function api(path, retried) {
    return getToken(false).then(function (tok) {
      return fetch(path, { headers: { Authorization: "Bearer " + tok } });
    }).then(function (r) {
      if (r.status === 401 && !retried) { token = null; return api(path, true); }
      return r;
    });
  }
  function apiJson(path) {
    return api(path).then(function (r) {
      if (!r.ok) { var e = new Error(path + ": " + r.status); e.status = r.status; throw e; }
      return r.json();
    });
  }

  // ---- the cases ---------------------------------------------------------------------------
  var cases = new Map();  // id -> case
  var lastSeq = 0;
  var unitNames = {};
  var officerNames = {};

  /* One shape for a case, whether it came from the map endpoint or an incident (API, events). */
  function fromIncident(inc) {
    return {
      id: inc.id, lat: inc.location.lat, lon: inc.location.lon, category: inc.category,
      status: inc.status, description: inc.description,
      territory: inc.territory ? inc.territory.name || inc.territory.code : "",
      territoryCode: inc.territory ? inc.territory.code : null,
      received_at: inc.received_at, green: inc.green_channel,
      deadlines: inc.deadlines || {},
      restored_at: inc.milestones ? inc.milestones.restored_at : null,
      resolved_at: inc.milestones ? inc.milestones.resolved_at : null,
      units: (inc.units || []).map(function (u) {
        if (u.name) unitNames[u.code] = u.name;
        return { code: u.code, name: u.name || u.code, accepted: !!u.accepted_at,
                 arrived_at: u.arrived_at, arrival_due: u.arrival_due };
      })
    };
  }
  function fromFeature(f) {
    var p = f.properties || {}, c = f.geometry.coordinates;
    var terr = p.territory;
    return {
      id: f.id || p.id, lat: c[1], lon: c[0], category: p.category, status: p.status,
      description: p.description || "",
      territory: terr && typeof terr === "object" ? terr.name || terr.code : (unitNames[terr] || terr || ""),
      territoryCode: terr && typeof terr === "object" ? terr.code : terr,
      received_at: p.received_at, green: p.green_channel, deadlines: p.deadlines || {},
      restored_at: p.restored_at || null, resolved_at: p.resolved_at || null,
      units: (p.units || []).map(function (u) {
        return { code: u.code, name: u.name || unitNames[u.code] || u.code, accepted: !!u.accepted,
                 arrived_at: u.arrived_at, arrival_due: u.arrival_due };
      })
    };
  }

  var RESTORED = ["restored", "resolved", "closed"], RESOLVED = ["resolved", "closed"];
  /* A milestone's state now: done, late_done, on_time, near or overdue (the clock's rule: late
   * only strictly after the deadline). */
  function milestone(category, name, due, doneAt, done, now) {
    var dueMs = ms(due);
    if (done) {
      var at = ms(doneAt);
      return { name: name, due: dueMs, state: at !== null && dueMs !== null && at > dueMs ? "late_done" : "done", doneAt: doneAt };
    }
    if (dueMs === null) return { name: name, due: null, state: "on_time" };
    var left = dueMs - now;
    var near = nearMs(category, name);
    return { name: name, due: dueMs, near: near, state: left < 0 ? "overdue" : left <= near ? "near" : "on_time" };
  }
  function clocks(c, now) {
    var restored = RESTORED.indexOf(c.status) >= 0, resolved = RESOLVED.indexOf(c.status) >= 0;
    var restore = milestone(c.category, "restore", c.deadlines.restore, c.restored_at, restored, now);
    var resolve = milestone(c.category, "resolve", c.deadlines.resolve, c.resolved_at, resolved, now);
    return c.units.map(function (u) {
      return { unit: u, arrival: milestone(c.category, "arrival", u.arrival_due, u.arrived_at, !!u.arrived_at, now),
               restore: restore, resolve: resolve };
    });
  }
  function pendingOf(c, now) {
    var out = [];
    clocks(c, now).forEach(function (k) {
      [k.arrival, k.restore, k.resolve].forEach(function (m) {
        if ((m.state === "on_time" || m.state === "near" || m.state === "overdue") && m.due !== null)
          out.push({ due: m.due, near: m.near, state: m.state, milestone: m.name, unit: k.unit.code });
      });
    });
    return out;
  }
  /* dispatch/board.py's order: resolved, overdue, near, restored, on time. */
  function stateOf(c, now) {
    if (RESOLVED.indexOf(c.status) >= 0) return "resolved";
    var pending = pendingOf(c, now);
    if (pending.some(function (p) { return p.state === "overdue"; })) return "overdue";
    if (pending.some(function (p) { return p.state === "near"; })) return "near";
    if (c.status === "restored") return "restored";
    return "on_time";
  }
  function nextDue(c, now) {
    var best = null;
    pendingOf(c, now).forEach(function (p) { if (best === null || p.due < best.due) best = p; });
    return best;
  }

  // ---- the view's state in the URL ---------------------------------------------------------
  var view = { tab: "ops", unit: "", category: "", status: "", overdue: false, caseId: "" };
  function readHash() {
    var q = new URLSearchParams(location.hash.replace(/^#/, ""));
    view.tab = q.get("view") === "stats" ? "stats" : "ops";
    view.unit = q.get("unit") || ""; view.category = q.get("category") || "";
    view.status = q.get("status") || ""; view.overdue = q.get("overdue") === "1";
    view.caseId = q.get("case") || "";
  }
  function writeHash() {
    var q = new URLSearchParams();
    if (view.tab !== "ops") q.set("view", view.tab);
    if (view.unit) q.set("unit", view.unit);
    if (view.category) q.set("category", view.category);
    if (view.status) q.set("status", view.status);
    if (view.overdue) q.set("overdue", "1");
    if (view.caseId) q.set("case", view.caseId);
    var s = q.toString();
    history.replaceState(null, "", location.pathname + location.search + (s ? "#" + s : ""));
  }
  function visible(c, now) {
    if (view.unit && !c.units.some(function (u) { return u.code === view.unit; })) return false;
    if (view.category && c.category !== view.category) return false;
    if (view.status && c.status !== view.status) return false;
    if (view.overdue && stateOf(c, now) !== "overdue") return false;
    return true;
  }

  // ---- the map -----------------------------------------------------------------------------
  var map = L.map("map", { zoomControl: true, maxZoom: 19, minZoom: 3 }).setView(show(35.09, 112.55), 11);
  if (boot.tile_url) {
    L.tileLayer(boot.tile_url, { maxZoom: 19, attribution: "" }).addTo(map);
  }
  // Territory names below the markers (Leaflet's tooltip pane would put them over the cases).
  map.createPane("territoryLabels").style.zIndex = 450;
  var territories = L.layerGroup().addTo(map);
  var cluster = L.markerClusterGroup({
    chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40,
    iconCreateFunction: function (group) {
      var worst = "resolved";
      group.getAllChildMarkers().forEach(function (m) {
        if (STATE_RANK[m.options.caseState] > STATE_RANK[worst]) worst = m.options.caseState;
      });
      var div = el("div", "cluster cluster-" + worst, group.getChildCount());
      div.style.background = STATE_COLOURS[worst];
      div.style.width = div.style.height = "42px";
      return L.divIcon({ html: div, className: "", iconSize: [42, 42] });
    }
  }).addTo(map);
  var markers = new Map();   // case id -> marker
  var officerLayer = L.layerGroup().addTo(map);
  var officers = new Map();  // officer id -> {marker, at}

  function caseIcon(c, state) {
    var div = el("div", "");
    div.dataset.id = c.id;
    div.dataset.state = state;
    div.style.background = STATE_COLOURS[state];
    return L.divIcon({ html: div, className: "case-marker state-" + state, iconSize: [18, 18] });
  }
  function placeMarker(c, now) {
    var state = stateOf(c, now), m = markers.get(c.id), shown = visible(c, now);
    var at = show(c.lat, c.lon);
    if (!m) {
      m = L.marker(at, { icon: caseIcon(c, state), caseState: state, title: t("cat." + c.category) + " · " + c.territory });
      m.on("click", function () { openDetail(c.id); });
      markers.set(c.id, m);
      if (shown) cluster.addLayer(m);
      return;
    }
    var was = m.getLatLng();
    if (was.lat !== at[0] || was.lng !== at[1]) m.setLatLng(at);
    if (m.options.caseState !== state) {
      m.options.caseState = state;
      m.setIcon(caseIcon(c, state));
      if (cluster.hasLayer(m)) cluster.refreshClusters(m);
    }
    if (shown && !cluster.hasLayer(m)) cluster.addLayer(m);
    if (!shown && cluster.hasLayer(m)) cluster.removeLayer(m);
  }
  function removeMarker(id) {
    var m = markers.get(id);
    if (m) { cluster.removeLayer(m); markers.delete(id); }
  }

  function loadBoundaries() {
    return apiJson("/api/v1/units/boundaries").then(function (fc) {
      var layer = L.geoJSON(fc, {
        coordsToLatLng: function (c) { var p = show(c[1], c[0]); return L.latLng(p[0], p[1]); },
        style: function () { return { color: "#16324f", weight: 1.5, fillColor: "#7fa7cf", fillOpacity: 0.08 }; },
        onEachFeature: function (f, lyr) {
          unitNames[f.properties.code] = f.properties.name;
          lyr.bindTooltip(String(f.properties.name), { permanent: true, direction: "center",
                                                       className: "territory-label", pane: "territoryLabels" });
          lyr.options.territoryCode = f.properties.code;
        }
      });
      territories.addLayer(layer);
      if (fc.label) {
        var note = L.control({ position: "bottomleft" });
        note.onAdd = function () {
          var d = el("div", "map-note", t("map.demo") + (fc.name ? " · " + fc.name : ""));
          d.id = "boundary-label"; d.title = fc.label; return d;
        };
        note.addTo(map);
      }
      map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      document.getElementById("map").dataset.territories = String(fc.features.length);
    });
  }

  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var d = el("div", "legend");
    ["on_time", "near", "overdue", "restored", "resolved"].forEach(function (s) {
      var row = el("div"), dot = el("i");
      dot.style.background = STATE_COLOURS[s];
      row.appendChild(dot); row.appendChild(document.createTextNode(t("state." + s)));
      d.appendChild(row);
    });
    var row = el("div"), dot = el("i", "officer-marker");
    dot.style.width = dot.style.height = "10px";
    row.appendChild(dot); row.appendChild(document.createTextNode(t("map.officers")));
    d.appendChild(row);
    return d;
  };
  legend.addTo(map);

  function officerPosition(d) {
    var at = show(d.lat, d.lon), o = officers.get(d.officer_id);
    if (d.name) officerNames[d.officer_id] = d.name;
    if (!o) {
      var div = el("div", "");
      div.dataset.officer = d.officer_id;
      var m = L.marker(at, { icon: L.divIcon({ html: div, className: "officer-marker", iconSize: [12, 12] }),
                             title: (d.name || d.officer_id) + " · " + (unitNames[d.unit] || d.unit || ""),
                             zIndexOffset: 1000 });
      m.addTo(officerLayer);
      o = { marker: m, at: 0 };
      officers.set(d.officer_id, o);
    } else {
      o.marker.setLatLng(at);
    }
    o.at = ms(d.recorded_at) || Date.now();
    fadeOfficers();
  }
  /* Fresh within 2 min; faded to 10 min; nearly gone after. */
  function fadeOfficers() {
    var now = Date.now();
    officers.forEach(function (o) {
      var age = now - o.at, e = o.marker.getElement();
      if (!e) return;
      e.classList.toggle("stale", age > 120e3 && age <= 600e3);
      e.classList.toggle("gone", age > 600e3);
    });
  }

  // ---- the board ---------------------------------------------------------------------------
  var boardRows = document.getElementById("board-rows");
  function msCell(m) {
    var span = el("span", "ms " + m.state);
    span.dataset.ms = m.name;
    if (m.state === "done" || m.state === "late_done") {
      span.textContent = t("ms." + m.state) + (m.doneAt ? " " + cstShort(m.doneAt).slice(6) : "");
    } else if (m.due !== null) {
      span.dataset.due = String(m.due);
      span.dataset.near = String(m.near);
      span.textContent = countdown(m.due - Date.now());
    }
    return span;
  }
  function boardRow(c, now) {
    var tr = el("tr");
    tr.dataset.id = c.id;
    var state = stateOf(c, now);
    tr.dataset.state = state;
    if (c.id === view.caseId) tr.className = "selected";
    var td = el("td");
    var title = el("div", "case-title");
    title.appendChild(el("span", "badge state-" + state, t("state." + state)));
    title.appendChild(document.createTextNode(" " + t("cat." + c.category) + " · " + c.territory));
    td.appendChild(title);
    td.appendChild(el("div", "case-sub", t("status." + c.status) + " · " + cst(c.received_at) + " · " + c.id.slice(0, 8)));
    tr.appendChild(td);
    var nd = nextDue(c, now), tdn = el("td");
    if (nd) {
      var span = el("span", "ms " + nd.state);
      span.dataset.due = String(nd.due);
      span.dataset.near = String(nd.near);
      span.textContent = countdown(nd.due - now);
      tdn.appendChild(span);
      tdn.appendChild(el("div", "case-sub", t("ms." + nd.milestone) + " · " + (unitNames[nd.unit] || nd.unit)));
    }
    tr.appendChild(tdn);
    var tdu = el("td"), table = el("table", "units"), head = el("tr");
    ["filter.unit", "ms.arrival", "ms.restore", "ms.resolve"].forEach(function (k) { head.appendChild(el("th", "case-sub", t(k))); });
    table.appendChild(head);
    clocks(c, now).forEach(function (k) {
      var row = el("tr");
      row.dataset.unit = k.unit.code;
      row.appendChild(el("td", "", k.unit.name));
      [k.arrival, k.restore, k.resolve].forEach(function (m) {
        var cell = el("td");
        cell.appendChild(msCell(m));
        row.appendChild(cell);
      });
      table.appendChild(row);
    });
    tdu.appendChild(table);
    tr.appendChild(tdu);
    return tr;
  }
  /* Rows are kept per case and rebuilt only when their case changed; the board is then put in
   * order by moving rows, not by rebuilding it (10 events a second stay cheap). */
  var rowCache = new Map();
  function renderBoard(now) {
    var list = [];
    cases.forEach(function (c) {
      if (!visible(c, now)) return;
      var nd = nextDue(c, now);
      list.push({ c: c, due: nd ? nd.due : Infinity });
    });
    list.sort(function (a, b) { return a.due - b.due || (a.c.received_at < b.c.received_at ? -1 : 1); });
    var current = boardRows.firstChild;
    list.slice(0, BOARD_ROWS).forEach(function (x) {
      var tr = rowCache.get(x.c.id);
      if (!tr) { tr = boardRow(x.c, now); rowCache.set(x.c.id, tr); }
      tr.classList.toggle("selected", x.c.id === view.caseId);
      if (tr === current) current = current.nextSibling;
      else boardRows.insertBefore(tr, current);
    });
    while (current) { var next = current.nextSibling; boardRows.removeChild(current); current = next; }
    document.getElementById("board-empty").hidden = list.length > 0;
    var more = document.getElementById("board-more");
    more.hidden = list.length <= BOARD_ROWS;
    more.textContent = t("board.more").replace("{shown}", BOARD_ROWS).replace("{total}", list.length);
    document.getElementById("board-box").dataset.count = String(list.length);
  }
  boardRows.addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr[data-id]");
    if (tr && tr.parentNode === boardRows) openDetail(tr.dataset.id);
  });

  // ---- batched rendering -------------------------------------------------------------------
  var dirty = new Set(), boardDirty = false, frame = 0;
  function schedule() {
    if (!frame) frame = requestAnimationFrame(render);
  }
  function render() {
    frame = 0;
    var now = Date.now();
    dirty.forEach(function (id) {
      rowCache.delete(id);
      var c = cases.get(id);
      if (c) placeMarker(c, now); else removeMarker(id);
    });
    dirty.clear();
    if (boardDirty) { renderBoard(now); boardDirty = false; }
  }
  function upsert(c) {
    if (c.status === "closed") cases.delete(c.id); else cases.set(c.id, c);
    dirty.add(c.id); boardDirty = true; schedule();
  }
  /* Every second: the countdowns tick and a case whose clock ran out changes colour. */
  setInterval(function () {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (s) {
      var left = Number(s.dataset.due) - now;
      s.textContent = countdown(left);
      if (s.dataset.near) s.className = "ms " + (left < 0 ? "overdue" : left <= Number(s.dataset.near) ? "near" : "on_time");
    });
    var changed = false;
    cases.forEach(function (c) {
      var m = markers.get(c.id);
      if (m && m.options.caseState !== stateOf(c, now)) { dirty.add(c.id); changed = true; }
    });
    if (changed) { boardDirty = true; schedule(); }
    fadeOfficers();
  }, 1000);

  // ---- first load --------------------------------------------------------------------------
  /* Every open case we may see in one read, with the log's seq at that read: live events at or
   * below it are already in it. */
  function loadCases() {
    return apiJson("/api/v1/map/incidents").then(function (fc) {
      fc.features.forEach(function (f) { upsert(fromFeature(f)); });
      lastSeq = Math.max(lastSeq, fc.seq || 0);
    });
  }
  function loadUnits() {
    return apiJson("/api/v1/units").then(function (j) {
      var sel = document.getElementById("f-unit");
      j.items.forEach(function (u) {
        unitNames[u.code] = u.name;
        if (boot.role === "dispatcher" && u.code !== boot.unit) return;
        var o = el("option", "", u.name); o.value = u.code; sel.appendChild(o);
      });
      sel.value = view.unit;
    });
  }

  // ---- live ----------------------------------------------------------------------------------
  var banner = document.getElementById("live-banner"), dot = document.getElementById("live-status");
  var downSince = null, resyncing = false, queued = [];
  function linkDown() {
    if (downSince === null) downSince = new Date().toISOString();
    banner.textContent = t("live.down") + " " + cst(downSince) + " (UTC+8)";
    banner.hidden = false;
    dot.className = "live-status down"; dot.title = banner.textContent;
  }
  function linkUp() {
    downSince = null; banner.hidden = true;
    dot.className = "live-status up"; dot.title = t("live.up");
  }
  function applyEvent(name, d) {
    if (name === "officer.position") { officerPosition(d); return; }
    if (typeof d.seq !== "number" || d.seq <= lastSeq) return;  // seen already (the map or a replay)
    lastSeq = d.seq;
    state.applied += 1;
    if (d.incident) upsert(fromIncident(d.incident));
    if (name === "incident.overdue") overdueAlert(d);
    if (detailId === d.incident_id) refreshDetail();
  }
  function onEvent(name, d) {
    if (!d || typeof d !== "object") return;
    if (resyncing && name !== "officer.position") { queued.push([name, d]); return; }
    applyEvent(name, d);
  }
  /* After any (re)connection: the events of our rooms since the last one applied, in order,
   * then whatever arrived meanwhile. */
  function resync() {
    resyncing = true;
    function page(since) {
      return new Promise(function (resolve, reject) {
        socket.timeout(15000).emit("resync", { since_seq: since }, function (err, ans) {
          if (err || !ans || !ans.ok) reject(err || ans); else resolve(ans);
        });
      }).then(function (ans) {
        ans.events.forEach(function (e) { applyEvent(e.event, e.data); });
        if (ans.more) return page(ans.last_seq);
      });
    }
    return page(lastSeq).then(function () { state.resyncs += 1; }, function () {})
      .then(function () {
        resyncing = false;
        var q = queued; queued = [];
        q.sort(function (a, b) { return a[1].seq - b[1].seq; });
        q.forEach(function (e) { applyEvent(e[0], e[1]); });
      });
  }
  var socket = io("/live", {
    transports: ["websocket"], autoConnect: false, reconnectionDelayMax: 5000,
    auth: function (cb) { getToken(false).then(function (tok) { cb({ token: tok }); }, function () { cb({}); }); }
  });
  socket.on("connect", function () { linkUp(); state.connects += 1; resync(); });
  socket.on("disconnect", function (reason) {
    linkDown();
    if (reason === "io server disconnect") {  // the server closed it (e.g. a token ran out)
      token = null;
      setTimeout(function () { socket.connect(); }, 1000);
    }
  });
  socket.on("connect_error", function () {
    linkDown();
    token = null;  // refused: perhaps the token expired; the next try gets a fresh one
    if (!socket.active) setTimeout(function () { socket.connect(); }, 2000);
  });
  socket.onAny(onEvent);

  // ---- alerts --------------------------------------------------------------------------------
  var alerted = new Set(JSON.parse(sessionStorage.getItem("overdue-alerted") || "[]"));
  var audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "square"; osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.35);
      state.beeps += 1;
    } catch (e) { /* no audio device: the visible alert stays */ }
  }
  function overdueAlert(d) {
    var key = [d.incident_id, d.data.unit, d.data.milestone, d.data.due].join("|");
    if (alerted.has(key)) return;
    alerted.add(key);
    sessionStorage.setItem("overdue-alerted", JSON.stringify(Array.from(alerted).slice(-500)));
    var c = cases.get(d.incident_id);
    var box = el("div", "alert");
    box.dataset.incident = d.incident_id;
    box.appendChild(el("strong", "", t("alert.overdue") + " · " + t("ms." + d.data.milestone)));
    box.appendChild(el("div", "", (c ? t("cat." + c.category) + " · " + c.territory + " · " : "") +
                                  (unitNames[d.data.unit] || d.data.unit)));
    box.appendChild(el("div", "case-sub", cst(d.at) + " (UTC+8)"));
    var open = el("button", "", t("detail.title"));
    open.addEventListener("click", function () { openDetail(d.incident_id); });
    var dismiss = el("button", "dismiss", t("alert.dismiss"));
    dismiss.addEventListener("click", function () { box.remove(); });
    box.appendChild(open); box.appendChild(document.createTextNode(" ")); box.appendChild(dismiss);
    document.getElementById("alerts").appendChild(box);
    state.alerts += 1;
    beep();
  }

  // ---- a case's detail -------------------------------------------------------------------------
  var detail = document.getElementById("detail"), detailId = null, detailMap = null, detailLayer = null;
  var photoUrls = [];
  function openDetail(id) {
    detailId = id; view.caseId = id; writeHash();
    detail.hidden = false;
    boardDirty = true; schedule();
    refreshDetail();
  }
  function closeDetail() {
    detailId = null; view.caseId = ""; writeHash(); detail.hidden = true;
    boardDirty = true; schedule();
  }
  document.getElementById("detail-close").addEventListener("click", closeDetail);
  function fact(dl, key, value) {
    dl.appendChild(el("dt", "", t(key))); dl.appendChild(el("dd", "", value));
  }
  function refreshDetail() {
    var id = detailId;
    if (!id) return;
    api("/api/v1/incidents/" + encodeURIComponent(id)).then(function (r) {
      if (id !== detailId) return;
      if (!r.ok) {
        document.getElementById("detail-id").textContent = "";
        var dl = document.getElementById("detail-facts");
        dl.replaceChildren();
        fact(dl, "detail.title", r.status === 404 ? "404" : String(r.status));
        detail.dataset.status = String(r.status);
        ["detail-units", "detail-photos", "detail-timeline"].forEach(function (x) {
          document.getElementById(x).replaceChildren();
        });
        return;
      }
      return r.json().then(function (inc) { if (id === detailId) drawDetail(inc); });
    });
  }
  function drawDetail(inc) {
    detail.dataset.status = "200";
    detail.dataset.id = inc.id;
    document.getElementById("detail-id").textContent = inc.id.slice(0, 8);
    var dl = document.getElementById("detail-facts");
    dl.replaceChildren();
    fact(dl, "filter.category", t("cat." + inc.category));
    fact(dl, "filter.status", t("status." + inc.status));
    fact(dl, "detail.territory", inc.territory.name || inc.territory.code);
    fact(dl, "detail.received", cst(inc.received_at) + " (UTC+8)");
    fact(dl, "detail.description", inc.description);
    fact(dl, "detail.radius", boot.checkin_radius_m + " m");

    // Officers' names: the offers list the on-duty officers they were made to.
    (inc.timeline || []).forEach(function (e) {
      ((e.data && e.data.officers) || []).forEach(function (o) { if (o.officer_id && o.name) officerNames[o.officer_id] = o.name; });
    });
    var now = Date.now(), c = fromIncident(inc);
    var units = document.getElementById("detail-units");
    units.replaceChildren();
    var head = el("tr");
    [t("filter.unit"), t("ms.arrival"), t("ms.restore"), t("ms.resolve"), t("detail.accepted"), t("detail.distance")]
      .forEach(function (h) { head.appendChild(el("th", "", h)); });
    units.appendChild(head);
    clocks(c, now).forEach(function (k, i) {
      var u = inc.units[i], row = el("tr");
      row.dataset.unit = u.code;
      row.appendChild(el("td", "", u.name));
      [k.arrival, k.restore, k.resolve].forEach(function (m) { var td = el("td"); td.appendChild(msCell(m)); row.appendChild(td); });
      row.appendChild(el("td", "", u.accepted_by ? (officerNames[u.accepted_by] || u.accepted_by.slice(0, 8)) + " · " + cstShort(u.accepted_at) : ""));
      row.appendChild(el("td", "", u.arrival_distance_m !== null && u.arrival_distance_m !== undefined ? u.arrival_distance_m + " m" : ""));
      units.appendChild(row);
    });

    // The site, the radius and every unit's check-in fix.
    if (!detailMap) {
      detailMap = L.map("detail-map", { zoomControl: true, maxZoom: 19 });
      if (boot.tile_url) L.tileLayer(boot.tile_url, { maxZoom: 19 }).addTo(detailMap);
      detailLayer = L.layerGroup().addTo(detailMap);
    }
    detailLayer.clearLayers();
    var site = show(inc.location.lat, inc.location.lon);
    var bounds = L.latLngBounds([site, site]);
    L.circle(site, { radius: boot.checkin_radius_m, color: "#1c7ed6", weight: 2, fillOpacity: 0.08, className: "checkin-radius" }).addTo(detailLayer);
    L.circleMarker(site, { radius: 6, color: "#fff", weight: 2, fillColor: "#e03131", fillOpacity: 1, className: "site-marker" })
      .bindTooltip(t("cat." + inc.category)).addTo(detailLayer);
    inc.units.forEach(function (u) {
      if (!u.arrival_location) return;
      var fix = show(u.arrival_location.lat, u.arrival_location.lon);
      L.polyline([site, fix], { color: "#6741d9", weight: 1, dashArray: "4 4" }).addTo(detailLayer);
      L.circleMarker(fix, { radius: 6, color: "#fff", weight: 2, fillColor: "#6741d9", fillOpacity: 1, className: "checkin-fix" })
        .bindTooltip(u.name + " · " + t("detail.checkin") + " · " + u.arrival_distance_m + " m", { permanent: true, direction: "right", offset: [10, 0] })
        .addTo(detailLayer);
      bounds.extend(fix);
    });
    detailMap.invalidateSize();
    detailMap.fitBounds(bounds.pad(0.5), { maxZoom: 17 });
    var r = L.latLng(site).toBounds(boot.checkin_radius_m * 2.4);
    detailMap.fitBounds(bounds.extend(r), { maxZoom: 17 });

    // Photos: fetched with the token, shown as blobs (an <img src> could not carry it).
    photoUrls.forEach(function (u) { URL.revokeObjectURL(u); }); photoUrls = [];
    var photos = document.getElementById("detail-photos");
    photos.replaceChildren();
    if (!inc.photos.length) photos.appendChild(el("span", "muted", "—"));
    inc.photos.forEach(function (p) {
      var img = el("img"); img.alt = p.id; photos.appendChild(img);
      api(p.url).then(function (r) { return r.ok ? r.blob() : null; }).then(function (b) {
        if (!b) return;
        var u = URL.createObjectURL(b); photoUrls.push(u); img.src = u;
      });
    });

    var tl = document.getElementById("detail-timeline");
    tl.replaceChildren();
    (inc.timeline || []).forEach(function (e) {
      var li = el("li");
      li.appendChild(el("time", "", cst(e.at)));
      var what = t("event." + e.type);
      if (e.data && e.data.unit) what += " · " + (unitNames[e.data.unit] || e.data.unit);
      if (e.data && e.data.milestone) what += " · " + t("ms." + e.data.milestone);
      if (e.data && typeof e.data.distance_m === "number") what += " · " + e.data.distance_m + " m";
      if (e.data && e.data.note) what += " · " + e.data.note;
      li.appendChild(document.createTextNode(what));
      tl.appendChild(li);
    });
  }

  // ---- the assessment --------------------------------------------------------------------------
  var chart = null, statsLoaded = false;
  function pct(x) { return typeof x === "number" ? (Math.round(x * 1000) / 10) + " %" : "—"; }
  function mins(x) { return typeof x === "number" ? (Math.round(x / 6) / 10) + " min" : "—"; }
  /* The period as dates in China Standard Time: the API counts whole days of both. */
  function statsRange() {
    var q = new URLSearchParams();
    var from = document.getElementById("stats-from").value, to = document.getElementById("stats-to").value;
    if (from) q.set("from", from);
    if (to) q.set("to", to);
    return q;
  }
  function loadStats() {
    statsLoaded = true;
    var msg = document.getElementById("stats-message");
    return apiJson("/api/v1/stats/units?" + statsRange().toString()).then(function (j) {
      msg.hidden = true;
      drawStats(j.units || []);
    }, function (e) {
      msg.hidden = false; msg.textContent = t("stats.unavailable") + " (" + (e.status || e.message) + ")";
      document.getElementById("stats-rows").replaceChildren();
    });
  }
  // The columns of the ranked table: [catalogue key, row field, format].
  var STATS_COLUMNS = [
    ["stats.cases", "cases", String], ["stats.arrival", "response_rate", pct],
    ["stats.restore", "restore_rate", pct], ["stats.resolve", "completion_rate", pct],
    ["stats.resolution", "resolution_rate", pct], ["stats.satisfaction", "satisfaction_rate", pct],
    ["stats.median", "arrival_median_s", mins], ["stats.p90", "arrival_p90_s", mins],
    ["stats.overdue", "overdue_records", String], ["stats.score", "score", pct]
  ];
  var CHART_RATES = [["stats.arrival", "response_rate", "#1c7ed6"], ["stats.restore", "restore_rate", "#2f9e44"],
                     ["stats.resolve", "completion_rate", "#f08c00"], ["stats.satisfaction", "satisfaction_rate", "#ae3ec9"]];
  /* Rows come ranked by the server (the mean of the 12345 rates; too few cases last, unranked). */
  function drawStats(rows) {
    var tr = el("tr");
    ["stats.rank", "stats.unit"].concat(STATS_COLUMNS.map(function (c) { return c[0]; }))
      .forEach(function (k) { tr.appendChild(el("th", "", t(k))); });
    document.getElementById("stats-head").replaceChildren(tr);
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var row = el("tr", r.too_few_cases ? "too-few" : "");
      row.dataset.unit = r.unit;
      row.appendChild(el("td", "", r.too_few_cases ? "—" : String(r.rank)));
      var name = el("td", "", r.name || unitNames[r.unit] || r.unit);
      if (r.too_few_cases) name.appendChild(el("span", "mark", t("stats.too_few")));
      row.appendChild(name);
      STATS_COLUMNS.forEach(function (c) {
        var v = r[c[1]];
        row.appendChild(el("td", "", v === null || v === undefined ? "—" : c[2](v)));
      });
      frag.appendChild(row);
    });
    document.getElementById("stats-rows").replaceChildren(frag);
    var ranked = rows.filter(function (r) { return !r.too_few_cases; });
    var data = {
      labels: ranked.map(function (r) { return r.name || r.unit; }),
      datasets: CHART_RATES.map(function (c) {
        return { label: t(c[0]), backgroundColor: c[2],
                 data: ranked.map(function (r) { return typeof r[c[1]] === "number" ? Math.round(r[c[1]] * 1000) / 10 : null; }) };
      })
    };
    if (chart) { chart.data = data; chart.update(); return; }
    chart = new Chart(document.getElementById("stats-chart"), {
      type: "bar", data: data,
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } } }
    });
  }
  document.getElementById("stats-form").addEventListener("submit", function (ev) { ev.preventDefault(); loadStats(); });
  function download(format) {
    return function (ev) {
      ev.preventDefault();
      var q = statsRange(); q.set("format", format);
      api("/api/v1/stats/units?" + q.toString()).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.blob();
      }).then(function (b) {
        var a = el("a"); a.href = URL.createObjectURL(b); a.download = "units-assessment." + format;
        document.body.appendChild(a); a.click(); a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      }, function (e) {
        var msg = document.getElementById("stats-message");
        msg.hidden = false; msg.textContent = t("stats.unavailable") + " (" + e.message + ")";
      });
    };
  }
  document.getElementById("stats-csv").addEventListener("click", download("csv"));
  document.getElementById("stats-xlsx").addEventListener("click", download("xlsx"));
  (function defaultRange() {
    var today = new Date(Date.now() + 8 * 3600e3), start = new Date(today.getTime() - 29 * 86400e3);
    document.getElementById("stats-from").value = start.toISOString().slice(0, 10);
    document.getElementById("stats-to").value = today.toISOString().slice(0, 10);
  })();

  // ---- tabs and filters ------------------------------------------------------------------------
  function showTab() {
    ["ops", "stats"].forEach(function (name) {
      document.getElementById("view-" + name).classList.toggle("active", view.tab === name);
      document.getElementById("tab-" + name).classList.toggle("active", view.tab === name);
    });
    if (view.tab === "ops") map.invalidateSize();
    if (view.tab === "stats" && !statsLoaded) loadStats();
  }
  document.querySelectorAll(".tabs button").forEach(function (b) {
    b.addEventListener("click", function () { view.tab = b.dataset.tab; writeHash(); showTab(); });
  });
  function fillSelect(id, values, prefix) {
    var sel = document.getElementById(id);
    values.forEach(function (v) { var o = el("option", "", t(prefix + v)); o.value = v; sel.appendChild(o); });
  }
  fillSelect("f-category", CATEGORIES, "cat.");
  fillSelect("f-status", OPEN, "status.");
  function filtersChanged() {
    view.unit = document.getElementById("f-unit").value;
    view.category = document.getElementById("f-category").value;
    view.status = document.getElementById("f-status").value;
    view.overdue = document.getElementById("f-overdue").checked;
    writeHash();
    cases.forEach(function (c) { dirty.add(c.id); });
    boardDirty = true; schedule();
  }
  ["f-unit", "f-category", "f-status", "f-overdue"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", filtersChanged);
  });
  function applyViewToForm() {
    document.getElementById("f-unit").value = view.unit;
    document.getElementById("f-category").value = view.category;
    document.getElementById("f-status").value = view.status;
    document.getElementById("f-overdue").checked = view.overdue;
  }
  window.addEventListener("hashchange", function () {
    readHash(); applyViewToForm(); showTab();
    cases.forEach(function (c) { dirty.add(c.id); });
    boardDirty = true; schedule();
    if (view.caseId && view.caseId !== detailId) openDetail(view.caseId);
    if (!view.caseId && detailId) closeDetail();
  });

  // ---- what the tests (and a curious operator's console) can read ------------------------------
  var state = { applied: 0, resyncs: 0, connects: 0, alerts: 0, beeps: 0, ready: false };
  window.commandCenter = {
    state: state,
    lastSeq: function () { return lastSeq; },
    caseIds: function () { return Array.from(cases.keys()); },
    caseState: function (id) { var c = cases.get(id); return c ? stateOf(c, Date.now()) : null; },
    hasMarker: function (id) { var m = markers.get(id); return !!m && cluster.hasLayer(m); },
    markerPoint: function (id) {
      var m = markers.get(id); if (!m) return null;
      var p = map.latLngToContainerPoint(m.getLatLng()), r = document.getElementById("map").getBoundingClientRect();
      return { x: p.x + r.left, y: p.y + r.top };
    },
    rawPoint: function (lat, lon) {  // where a WGS-84 point would be drawn unconverted
      var p = map.latLngToContainerPoint(L.latLng(lat, lon)), r = document.getElementById("map").getBoundingClientRect();
      return { x: p.x + r.left, y: p.y + r.top };
    },
    focus: function (lat, lon, zoom) { map.setView(show(lat, lon), zoom, { animate: false }); },
    zoom: function () { return map.getZoom(); },
    officerIds: function () { return Array.from(officers.keys()); },
    socket: socket
  };

  // ---- start -----------------------------------------------------------------------------------
  readHash(); applyViewToForm(); showTab();
  Promise.all([loadUnits(), loadBoundaries()]).then(loadCases).then(function () {
    state.ready = true;
    document.body.dataset.ready = "1";
    socket.connect();
    if (view.caseId) openDetail(view.caseId);
  }).catch(function (e) {
    if (e && e.message === "signed out") return;
    linkDown();
    banner.textContent = String(e && e.message || e);
  });
})();
