/* Reporting in three taps: the category (home screen), the position ("use my location": the
 * browser's fix in WGS-84, or WeChat's wx.getLocation in GCJ-02 where the page runs inside
 * WeChat; never asked for on load), then "send"; a description and photos are optional. The
 * point shows on a small map and can be dragged, or a registered site chosen instead. Before
 * sending, the clerk's own open cases of the same category within 50 m are listed ("follow this
 * case"): the API shows a reporter only its own cases, and another enterprise's would be theirs
 * to see, so only one's own duplicates are caught here.
 *
 * The draft (photos included) is kept in the user's database while it is being made, so a
 * reload or a killed app keeps it; "send" puts the report and each photo into the outbox in one
 * write, and only then says "saved, queued". */

import { el } from "../shared/dom.js";
import { resizePhoto } from "../shared/photos.js";
import { wgs84ToGcj02 } from "../shared/datum.js";
import { cstShort } from "../shared/time.js";
import { caseNumber } from "./case-text.js";
import { NEARBY_M, bboxAround, gcj02ToWgs84, within } from "./geo.js";
import { createPositionMap } from "./position-map.js";

const OPEN = ["reported", "dispatched", "on_site", "restored", "resolved", "reopened"];
const DRAFT = "draft";

export function createReportFlow({ t, labels, auth, kv, outbox, base, online, onQueued, onFollow }) {
  const $ = (id) => document.getElementById(id);
  let draft = null;
  const map = createPositionMap({ el: $("map"), base, onMove: (lat, lon) => {
    draft.position = { lat, lon, accuracy_m: null, crs: "wgs84", source: "drag" };
    draft.site = null;
    save();
    drawPosition(false);
  } });

  const save = () => kv.set(DRAFT, draft).catch(() => {});

  async function start(category) {
    draft = { category, position: null, site: null, description: "", photos: [] };
    await save();
    show();
  }

  /** Back to a draft left half made (reload, a killed app). */
  async function resume() {
    draft = (await kv.get(DRAFT)) || null;
    return draft !== null;
  }

  function show() {
    $("where-category").textContent = labels.category(draft.category);
    $("description").value = draft.description || "";
    $("where-status").textContent = "";
    $("dups").hidden = true;
    $("dup-offline").hidden = true;
    drawThumbs();
    drawSites();
    drawPosition(true);
  }

  // ---- the position ---------------------------------------------------------------------------
  function locate() {
    const status = $("where-status");
    status.textContent = t("where.locating");
    $("locate").disabled = true;
    const done = () => { $("locate").disabled = false; };
    const wx = globalThis.wx;
    if (wx && typeof wx.getLocation === "function") {
      wx.getLocation({
        type: "gcj02",
        success: (r) => { done(); fixed(Number(r.latitude), Number(r.longitude), Number(r.accuracy) || null, "gcj02", "wechat"); },
        fail: (e) => { done(); status.textContent = t("where.denied", { reason: (e && e.errMsg) || "wx" }); },
      });
      return;
    }
    if (!("geolocation" in navigator)) { done(); status.textContent = t("where.denied", { reason: "—" }); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => { done(); fixed(p.coords.latitude, p.coords.longitude, p.coords.accuracy, "wgs84", "gps"); },
      (e) => { done(); status.textContent = t("where.denied", { reason: e.message || e.code }); },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  }

  function fixed(lat, lon, accuracy, crs, source) {
    draft.position = { lat, lon, accuracy_m: accuracy === null ? null : Math.round(accuracy * 10) / 10, crs, source };
    draft.site = null;
    save();
    drawSites();
    drawPosition(true);
  }

  /** The point in WGS-84 for drawing and for the 50 m search. */
  function wgs() {
    if (draft.site) return { lat: draft.site.location.lat, lon: draft.site.location.lon };
    const p = draft.position;
    if (!p) return null;
    if (p.crs === "gcj02") { const [lon, lat] = gcj02ToWgs84(p.lon, p.lat, wgs84ToGcj02); return { lat, lon }; }
    return { lat: p.lat, lon: p.lon };
  }

  async function drawPosition(recheck) {
    const at = wgs();
    $("details").hidden = at === null;
    const note = $("where-note");
    if (at === null) { note.hidden = true; map.hide(); return; }
    const p = draft.position;
    if (draft.site) $("where-status").textContent = t("where.site", { name: draft.site.name });
    else if (p.source === "drag") $("where-status").textContent = t("where.dragged");
    else {
      $("where-status").textContent = (p.source === "wechat" ? t("where.wechat") + " · " : "") +
        (p.accuracy_m !== null ? t("where.accuracy", { m: Math.round(p.accuracy_m) }) : "");
    }
    note.textContent = t("where.drag");
    note.hidden = Boolean(draft.site);
    try {
      await map.outlines(await boundaries());
      await map.point(at.lat, at.lon, p ? p.accuracy_m : null);
    } catch {
      note.textContent = t("where.nomap");
      note.hidden = false;
    }
    if (recheck) nearby(at);
  }

  async function boundaries() {
    try {
      const fc = await auth.apiJson("/api/v1/units/boundaries");
      kv.set("boundaries", fc).catch(() => {});
      return fc;
    } catch {
      return (await kv.get("boundaries")) || null;
    }
  }

  // ---- registered sites -----------------------------------------------------------------------
  async function sites() {
    try {
      const ans = await auth.apiJson("/api/v1/sites");
      kv.set("sites", ans.items).catch(() => {});
      return ans.items;
    } catch {
      return (await kv.get("sites")) || [];
    }
  }

  async function drawSites() {
    const list = $("site-list");
    const items = await sites();
    list.replaceChildren();
    $("sites-lead").textContent = items.length ? t("where.sites") : t("where.nosites");
    for (const s of items) {
      const b = el("button", draft && draft.site && draft.site.id === s.id ? "chosen" : "", s.name);
      b.type = "button";
      b.dataset.site = s.id;
      if (s.address) b.append(el("span", "muted", " · " + s.address));
      b.addEventListener("click", () => {
        draft.site = { id: s.id, name: s.name, location: s.location };
        draft.position = null;
        save();
        drawSites();
        drawPosition(true);
      });
      list.append(b);
    }
  }

  // ---- the 50 m check -------------------------------------------------------------------------
  async function nearby(at) {
    const box = $("dups"), list = $("dup-list");
    box.hidden = true;
    $("dup-offline").hidden = true;
    if (!online()) { $("dup-offline").hidden = false; return; }
    const bbox = bboxAround(at.lat, at.lon, NEARBY_M).map((x) => x.toFixed(7)).join(",");
    let found;
    try {
      const ans = await auth.apiJson(`/api/v1/incidents?category=${encodeURIComponent(draft.category)}` +
                                     `&status=${OPEN.join(",")}&bbox=${bbox}&per_page=20`);
      found = within(ans.items, at.lat, at.lon, NEARBY_M);
    } catch {
      $("dup-offline").hidden = false;
      return;
    }
    list.replaceChildren();
    for (const { c, d } of found) {
      const li = el("li");
      li.append(el("span", "", `${caseNumber(c)} · ${labels.status(c.status)} · ${Math.round(d)} m · ` +
                               `${cstShort(c.received_at)} · ${c.description}`));
      const follow = el("button", "", t("dup.follow"));
      follow.type = "button";
      follow.dataset.follow = c.id;
      follow.addEventListener("click", async () => { await discard(); onFollow(c.id); });
      li.append(follow);
      list.append(li);
    }
    box.hidden = found.length === 0;
    $("send").textContent = found.length ? t("send.again") : t("send");
  }

  // ---- photos ---------------------------------------------------------------------------------
  async function addPhoto(file) {
    const status = $("photo-status");
    status.textContent = t("details.resizing");
    try {
      const r = await resizePhoto(file);
      draft.photos.push({ blob: r.blob, width: r.width, height: r.height });
      await save();
      status.textContent = t("details.photos", { n: draft.photos.length });
      drawThumbs();
    } catch (e) {
      status.textContent = t("details.photo_failed", { reason: e.message || e });
    }
  }

  function drawThumbs() {
    const box = $("thumbs");
    for (const img of box.querySelectorAll("img")) URL.revokeObjectURL(img.src);
    box.replaceChildren(...draft.photos.map((p) => {
      const img = el("img");
      img.alt = "";
      img.src = URL.createObjectURL(p.blob);
      return img;
    }));
  }

  // ---- send -----------------------------------------------------------------------------------
  async function send() {
    const button = $("send");
    button.disabled = true;
    try {
      const name = labels.category(draft.category);
      const text = $("description").value.trim() || name;
      const body = { category: draft.category, description: text };
      if (draft.site) body.site_id = draft.site.id;
      else {
        const p = draft.position;
        body.location = { lat: p.lat, lon: p.lon, crs: p.crs };
        if (p.accuracy_m !== null) body.location.accuracy_m = p.accuracy_m;
      }
      const photos = draft.photos.map((p, i) => ({
        kind: "photo", label: name, url: "/api/v1/incidents/{parent}/photos",
        parts: [{ name: "photos", blob: p.blob, filename: `photo-${i + 1}.jpg` }] }));
      const id = await outbox.queue({ kind: "report", label: name, url: "/api/v1/incidents", json: body }, photos);
      await discard();
      onQueued(id);
    } finally {
      button.disabled = false;
    }
  }

  async function discard() {
    draft = null;
    await kv.delete(DRAFT).catch(() => {});
  }

  $("locate").addEventListener("click", locate);
  $("send").addEventListener("click", send);
  $("description").addEventListener("input", (e) => { if (draft) { draft.description = e.target.value; save(); } });
  $("photo").addEventListener("change", (e) => {
    const f = e.target.files && e.target.files[0];
    e.target.value = "";
    if (f) addPhoto(f);
  });

  return { start, resume, show, discard, current: () => draft };
}
