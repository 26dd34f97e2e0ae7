/* Installing a phone app: its service worker (one per app, scoped to the app's path) and what
 * the browser lacks. The worker is a module (it imports the outbox to send the queue by
 * Background Sync); where module workers are refused, the same worker is asked for as a classic
 * script (`?classic=1`, which the server serves without the import: Background Sync then only
 * wakes an open page); where there is no service worker at all (WeChat's browser, an insecure
 * origin) the app runs as a plain H5 page and says what that costs. */

/** What this browser has, for the app to say what works (pure over `g`). */
export function features(g = globalThis) {
  const nav = g.navigator || {};
  let idb = false;
  try { idb = typeof g.indexedDB !== "undefined" && g.indexedDB !== null; } catch { idb = false; }
  return {
    secure: g.isSecureContext !== false,
    serviceWorker: "serviceWorker" in nav,
    indexedDB: idb,
    backgroundSync: typeof g.SyncManager !== "undefined",
    wakeLock: "wakeLock" in nav,
    locks: "locks" in nav,
    geolocation: "geolocation" in nav,
  };
}

/** Registers `url` for `scope`; resolves to "module", "classic" or null (none). The HTTP cache
 * is never used for the worker or its imports (`updateViaCache: "none"`): a deploy is seen at
 * the next load. */
export async function installWorker(url, scope, nav = navigator) {
  if (!("serviceWorker" in nav)) return null;
  try {
    await nav.serviceWorker.register(url, { scope, type: "module", updateViaCache: "none" });
    return "module";
  } catch {
    try {
      await nav.serviceWorker.register(url + "?classic=1", { scope, updateViaCache: "none" });
      return "classic";
    } catch {
      return null;
    }
  }
}

/** The kill switch, done by the page as well as by the self-unregistering worker: the page
 * unregisters `scope`'s worker and deletes `app`'s shell caches, so that a dying worker's late
 * write cannot leave a stale copy of the app behind. */
export async function retireWorker(app, scope, g = globalThis) {
  const nav = g.navigator || {};
  if ("serviceWorker" in nav) {
    const regs = await nav.serviceWorker.getRegistrations().catch(() => []);
    await Promise.all(regs.filter((r) => r.scope.endsWith(scope)).map((r) => r.unregister()));
  }
  if (g.caches) {
    const names = await g.caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(`jy311-shell-${app}-`)).map((n) => g.caches.delete(n)));
  }
}
