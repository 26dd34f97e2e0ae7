/* The kill switch (DISPATCH_PHONE_SW_KILL): served in place of a phone app's worker, it takes
 * over at once, deletes every cache of the origin, unregisters itself and reloads the app's open
 * pages from the network. The pages, told by the server, register no worker meanwhile. */

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.map((n) => caches.delete(n))))
    .then(() => self.registration.unregister())
    .then(() => self.clients.matchAll({ type: "window" }))
    .then((cs) => cs.forEach((c) => c.navigate(c.url))));
});
