/* The frame every phone app runs in, written once for the reporter's and the officer's: the
 * boot data (pages/phone.py), the language, the page's chrome (the language button, the
 * version, the note of a plain H5 browser, the offline mark, the live banner), the service
 * worker (or its retirement under the kill switch), the app's own database, the label catalogue
 * kept for offline starts, and the sign-out button. The app's main.js decides what it shows;
 * this only connects what both apps do alike, in the same order as before. */

import { pickLang, translatePage, translator } from "./i18n.js";
import { LABELS_URL, labelsFor } from "./labels.js";
import { connectLive } from "./live.js";
import { features, installWorker, retireWorker } from "./pwa.js";
import { appDbName, hasIndexedDB, idbKv, memoryKv, openDb } from "./storage.js";

const $ = (id) => document.getElementById(id);
export const online = () => navigator.onLine !== false;

/** Reads the boot data, picks the language (`<app>.lang` in localStorage), translates the page
 * and sets up its chrome, then installs the worker (`state.worker`: "module" | "classic" |
 * null). Returns `{ boot, app, lang, t }`. */
export function bootPage({ messages, state }) {
  const boot = JSON.parse($("boot").textContent);
  const app = boot.app;
  const langKey = `${app}.lang`;
  const lang = pickLang(localStorage.getItem(langKey));
  const t = translator(messages, lang);
  const has = features();

  document.documentElement.lang = lang;
  document.title = t("app.title");
  translatePage(document, t);
  $("lang").textContent = t("lang.other");
  $("lang").addEventListener("click", () => {
    localStorage.setItem(langKey, lang === "en" ? "zh-CN" : "en");
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
  return { boot, app, lang, t };
}

/** The app's own database (who is signed in), in memory where IndexedDB is missing or refused. */
export async function openAppKv(app) {
  return hasIndexedDB() ? openDb(appDbName(app)).then(idbKv, () => memoryKv()) : memoryKv();
}

/** The label catalogue: the copy kept from the last start when there is one (the screen is
 * usable at once, offline too), refreshed from the server for the next start; else fetched. */
export async function loadKeptLabels(kv, lang) {
  const fetched = fetch(LABELS_URL, { credentials: "omit" }).then(async (r) => {
    if (!r.ok) throw new Error(String(r.status));
    const doc = await r.json();
    await kv.set("labels", doc).catch(() => {});
    return doc;
  });
  // Handled at once, not after the kept copy is read: a refresh that fails first (offline)
  // would otherwise be an unhandled rejection. Without a kept copy, the await below still throws.
  fetched.catch(() => {});
  const kept = await kv.get("labels");
  if (kept) return labelsFor(kept, lang);
  return labelsFor(await fetched, lang);
}

/** `/live` when socket.io is loaded (its global `io`), with the banner shown while it is down
 * and the phone online; its counts on `state.live` for the tests. Null without socket.io. */
export function connectAppLive({ auth, sequencer, state }) {
  const io = globalThis.io;
  if (typeof io === "undefined") return null;
  const live = connectLive({ io, token: auth.token, forget: auth.forget, sequencer,
                             onUp: () => { $("live-banner").hidden = true; },
                             onDown: () => { $("live-banner").hidden = !online(); } });
  live.start();
  state.live = live.counts;
  return live;
}

/** The sign-out button: asks first when something is still waiting to be sent, `stop()`s the
 * app's senders, signs out (the shell's cache kept), says when the server did not hear it, and
 * goes back to the app's start. */
export function wireSignOut({ t, app, scope, session, outbox, stop }) {
  $("signout").addEventListener("click", async () => {
    const waiting = (await outbox.list()).length;
    if (waiting && !confirm(t("signout.unsent", { n: waiting }))) return;
    stop();
    const heard = await session.signOut({ keepCache: (name) => name.startsWith(`jy311-shell-${app}-`) });
    if (!heard) alert(t("signout.offline"));
    location.replace(scope);
  });
}
