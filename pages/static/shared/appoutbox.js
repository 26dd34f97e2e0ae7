/* A signed-in user's outbox, put together the same way by the page and by the service worker
 * (Background Sync): the user's database (storage.js), the queue's rules (outbox.js), one lock
 * across the app's tabs and its worker (Web Locks where they exist; without them the
 * Idempotency-Keys still make a double send harmless), and `send`, which turns a queued item
 * into the HTTP request: JSON, or multipart with its Blobs, always with the item's own
 * Idempotency-Key. */

import { createOutbox } from "./outbox.js";
import { hasIndexedDB, idbKv, idbOutboxStore, memoryKv, memoryStore, openDb, userDbName } from "./storage.js";

const REQUEST_TIMEOUT_MS = 30e3, UPLOAD_TIMEOUT_MS = 120e3;

/** `api(url, init)`: auth.js's (the bearer token added; once more after a 401). */
export function sender(api) {
  return async function send(item) {
    const headers = { "Idempotency-Key": item.key };
    let body;
    if (item.parts) {
      body = new FormData();
      for (const p of item.parts) {
        if (p.blob) body.append(p.name, p.blob, p.filename || "photo.jpg");
        else body.append(p.name, p.value);
      }
    } else if (item.json !== null) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(item.json);
    }
    // A request that hangs (one bar of signal) must not hold the queue for ever: it is given
    // up after a while and tried again under the same key.
    const signal = typeof AbortSignal.timeout === "function"
      ? AbortSignal.timeout(item.parts ? UPLOAD_TIMEOUT_MS : REQUEST_TIMEOUT_MS) : undefined;
    const r = await api(item.url, { method: item.method, headers, body, signal });
    let answer = null;
    const type = r.headers.get("Content-Type") || "";
    if (type.includes("json")) { try { answer = await r.json(); } catch { answer = null; } }
    return { status: r.status, retryAfter: r.headers.get("Retry-After"), body: answer };
  };
}

export function webLock(name, locks = globalThis.navigator && globalThis.navigator.locks) {
  return (fn) => (locks ? locks.request(name, fn) : fn());
}

/** {outbox, kv, persistent}: `persistent` is false when IndexedDB is missing (memory only). */
export async function openUserData({ app, userId, api, onChange, onAuth, onDone }) {
  const name = userDbName(app, userId);
  let store, kv, persistent = hasIndexedDB();
  if (persistent) {
    try {
      const db = await openDb(name);
      store = idbOutboxStore(db);
      kv = idbKv(db);
    } catch {
      persistent = false;  // refused (a private mode): keep going in memory, and say so
    }
  }
  if (!persistent) { store = memoryStore(); kv = memoryKv(); }
  const outbox = createOutbox({ store, send: sender(api), lock: webLock(name), onChange, onAuth, onDone });
  return { outbox, kv, persistent };
}
