/* What a phone app keeps on the phone, and where: one IndexedDB database per app for who is
 * signed in (`jy311-<app>`), and one per app AND per user for that user's queue and drafts
 * (`jy311-<app>-u-<user id>`), so another enterprise signing in on the same phone opens another
 * database and sign-out deletes the whole of the first one's. Where IndexedDB is missing (some
 * in-app browsers, private modes) `memoryStore` keeps the same shape in memory for the page's
 * life: the app then says on screen that nothing survives a reload.
 *
 * Stores: `outbox` (auto-increment ids: the order things were queued) and `kv` (drafts, the last
 * label catalogue, the session). Every method returns a promise that settles when the write is
 * committed, so "saved" can be said after it. */

export const PREFIX = "jy311";
const VERSION = 1;

export function appDbName(app) { return `${PREFIX}-${app}`; }
export function userDbName(app, userId) { return `${PREFIX}-${app}-u-${userId}`; }

export function hasIndexedDB(g = globalThis) {
  try { return typeof g.indexedDB !== "undefined" && g.indexedDB !== null; } catch { return false; }
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error || new Error("transaction aborted"));
  });
}

/** Opens (creating) a database with the `outbox` and `kv` stores. */
export function openDb(name, idb = globalThis.indexedDB) {
  const req = idb.open(name, VERSION);
  req.onupgradeneeded = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains("outbox")) {
      db.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
    }
    if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv");
  };
  return done(req).then((db) => {
    // Another tab deleting it (sign-out there): let the deletion through.
    db.onversionchange = () => db.close();
    return db;
  });
}

/** Deletes a database; resolves once it is gone (a tab holding it open closes it on
 * `versionchange`). */
export function deleteDb(name, idb = globalThis.indexedDB) {
  return new Promise((resolve, reject) => {
    const req = idb.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    req.onblocked = () => { /* resolves when the other connection closes */ };
  });
}

/** The outbox store of `db`: the interface outbox.js expects (see memoryStore). */
export function idbOutboxStore(db) {
  const run = (mode, fn) => {
    const tx = db.transaction("outbox", mode);
    const out = fn(tx.objectStore("outbox"));
    return committed(tx).then(() => (out && "result" in out ? out.result : undefined));
  };
  return {
    list: () => run("readonly", (s) => s.getAll()),
    put: (item) => run("readwrite", (s) => { s.put(item); }),
    delete: (id) => run("readwrite", (s) => { s.delete(id); }),
    /** `head` and `children` in one transaction; each child's `parent` is head's new id. */
    addGroup(head, children = []) {
      const tx = db.transaction("outbox", "readwrite");
      const store = tx.objectStore("outbox");
      let headId = null;
      const first = store.add(head);
      first.onsuccess = () => {
        headId = first.result;
        for (const child of children) store.add({ ...child, parent: headId });
      };
      return committed(tx).then(() => headId);
    },
  };
}

/** A key-value store in `db` (`kv`). */
export function idbKv(db) {
  const run = (mode, fn) => {
    const tx = db.transaction("kv", mode);
    const req = fn(tx.objectStore("kv"));
    return committed(tx).then(() => (req ? req.result : undefined));
  };
  return {
    get: (key) => run("readonly", (s) => s.get(key)),
    set: (key, value) => run("readwrite", (s) => { s.put(value, key); }),
    delete: (key) => run("readwrite", (s) => { s.delete(key); }),
  };
}

/** The same two interfaces in memory (tests, and browsers without IndexedDB). */
export function memoryStore() {
  let next = 1;
  const rows = new Map();
  const copy = (x) => (x === undefined ? undefined : structuredClone(x));
  return {
    async list() { return [...rows.values()].sort((a, b) => a.id - b.id).map(copy); },
    async put(item) { rows.set(item.id, copy(item)); },
    async delete(id) { rows.delete(id); },
    async addGroup(head, children = []) {
      const headId = next++;
      rows.set(headId, copy({ ...head, id: headId }));
      for (const c of children) { const id = next++; rows.set(id, copy({ ...c, id, parent: headId })); }
      return headId;
    },
  };
}

export function memoryKv() {
  const m = new Map();
  return {
    async get(key) { return m.has(key) ? structuredClone(m.get(key)) : undefined; },
    async set(key, value) { m.set(key, structuredClone(value)); },
    async delete(key) { m.delete(key); },
  };
}
