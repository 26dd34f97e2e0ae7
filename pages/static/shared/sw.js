/* A phone app's service worker. The server serves it at `/m/<app>/sw.js` with SHELL filled in
 * (pages/phone.py): the app, its version (a hash of every file of the app shell, so a deploy
 * changes it and the browser installs the new worker at the next load) and the shell's urls, all
 * under a versioned path. Rules (the anchors' lessons: Signalen removed its worker three times
 * for serving a stale app):
 * - the page itself is NEVER served from the cache first: network first (4 s on a bad line), the
 *   cached copy only when the network fails;
 * - the shell's versioned files are served from the precache (their url changes with them);
 * - nothing else is touched: no API answer is ever cached (a user's cases stay out of a cache
 *   that outlives sign-out), the socket and the API go straight to the network;
 * - skipWaiting and clients.claim: the new version runs at the next load; older caches of this
 *   app are deleted when it activates.
 * The server answers a self-unregistering worker instead when the kill switch is on. */

import { flushInWorker } from "./swsync.js";

const SHELL = { app: "dev", version: "dev", page: "/", urls: [] };  // replaced by the server
const PREFIX = `jy311-shell-${SHELL.app}-`;
const CACHE = PREFIX + SHELL.version;
const PAGE_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  // The page fresh from the server; the versioned files from the HTTP cache when the page has
  // just loaded them (their url changes with their bytes, so a cached copy is the right one).
  event.waitUntil(caches.open(CACHE)
    .then((c) => c.addAll([new Request(SHELL.page, { cache: "no-store" }), ...SHELL.urls]))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function pageFirstFromNetwork(request) {
  const network = fetch(request).then((r) => {
    // Only into a cache that still exists: a worker being retired must not re-create one.
    if (r.ok) {
      const copy = r.clone();
      caches.has(CACHE).then((has) => has && caches.open(CACHE).then((c) => c.put(SHELL.page, copy)));
    }
    return r;
  });
  const late = new Promise((resolve) => setTimeout(resolve, PAGE_TIMEOUT_MS));
  // caches.match with a cacheName never creates the cache, as caches.open would.
  const cached = () => caches.match(SHELL.page, { cacheName: CACHE });
  return Promise.race([network, late.then(() => cached().then((r) => r || network))])
    .catch(() => cached().then((r) => r || Response.error()));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL.page) {
    event.respondWith(pageFirstFromNetwork(request));
  } else if (SHELL.urls.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname, { cacheName: CACHE }).then((r) => r || fetch(request)));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil(flushInWorker ? flushInWorker(SHELL.app, self.clients)
    : clients.matchAll({ type: "window" }).then((cs) => cs.forEach((c) => c.postMessage({ type: "flush" }))));
});
