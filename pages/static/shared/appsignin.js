/* Signing in to a phone app, once: POST /api/v1/auth/token with the user name and password, and
 * the token kept on the phone until it runs out (the server's TOKEN_TTL, 12 h), so the clerk or
 * the officer does not sign in at every opening. Where it is kept: the app's own IndexedDB
 * database (`jy311-<app>`, storage.js), not localStorage, because the service worker has to read
 * it to send the queue by Background Sync with the app closed, and workers have no localStorage.
 * Any script of this origin could read it, as it could read localStorage; the pages allow only
 * their own scripts (CSP `script-src 'self'`) and put user text in as text only. Without
 * IndexedDB the session lives in memory and ends with the page (the app says so).
 *
 * Signing out revokes every token of the user on the server (POST /api/v1/auth/sign-out) and
 * deletes the user's database (queue, drafts, the copy of the labels) and any cache that is not
 * the app shell's; the service worker never caches an API answer in the first place. */

import { SignedOut } from "./auth.js";
import { deleteDb, userDbName } from "./storage.js";

export const TOKEN_URL = "/api/v1/auth/token";
export const SIGN_OUT_URL = "/api/v1/auth/sign-out";
const KEY = "session";
const MARGIN_MS = 60e3;  // a token this close to its end is not used: it would die in flight

export class SignInRefused extends Error {
  constructor(reason, status) { super(reason); this.name = "SignInRefused"; this.reason = reason; this.status = status; }
}

/** A session as kept: {user_id, username, role, unit_code (an officer's), token, expires_at (ms)}; `live` says whether
 * it can still be used at `nowMs`. Pure. */
export function live(session, nowMs) {
  return Boolean(session && session.token && session.expires_at - MARGIN_MS > nowMs);
}

/**
 * `kv`: the app database's key-value store (storage.js); `roles`: who this app is for (a
 * reporter's app refuses an officer, naming the role). `onSignedOut()` when the token is gone
 * (ran out, revoked): the app shows its sign-in again.
 */
export function createAppSession({ app, kv, roles, onSignedOut = () => {},
                                   fetchFn = (...a) => globalThis.fetch(...a), now = () => Date.now() }) {
  async function current() {
    const s = await kv.get(KEY);
    return live(s, now()) ? s : null;
  }

  /** The last user name signed in here, to fill the form (even after the token ran out). */
  async function lastUsername() {
    const s = await kv.get(KEY);
    return s ? s.username : "";
  }

  async function signIn(username, password) {
    let r;
    try {
      r = await fetchFn(TOKEN_URL, { method: "POST", credentials: "omit",
                                     headers: { "Content-Type": "application/json" },
                                     body: JSON.stringify({ username, password }) });
    } catch {
      throw new SignInRefused("offline", 0);
    }
    if (r.status === 401) throw new SignInRefused("wrong", 401);
    if (r.status === 429) throw new SignInRefused("throttled", 429);
    if (r.status === 422) throw new SignInRefused("missing", 422);
    if (!r.ok) throw new SignInRefused("server", r.status);
    const answer = await r.json();
    if (roles && !roles.includes(answer.role)) throw new SignInRefused("role", 403);
    const session = { app, user_id: answer.user_id, username, role: answer.role, unit_code: answer.unit_code ?? null,
                      token: answer.access_token, expires_at: now() + Number(answer.expires_in) * 1000 };
    await kv.set(KEY, session);
    return session;
  }

  /** For auth.js's createAuth: the kept token and its remaining life, or SignedOut. */
  async function obtain() {
    const s = await current();
    if (s === null) { onSignedOut(); throw new SignedOut(); }
    return { access_token: s.token, expires_in: Math.max(1, (s.expires_at - now()) / 1000) };
  }

  /** Revokes on the server (when it can be reached) and wipes the user's data here whatever the
   * answer. Resolves to whether the server heard it (the app says so if not: the token then
   * stays valid on the server until it runs out). */
  async function signOut({ idb = globalThis.indexedDB, cacheStorage = globalThis.caches,
                           keepCache = () => false } = {}) {
    const s = await kv.get(KEY);
    let revoked = false;
    if (s && s.token) {
      try {
        const r = await fetchFn(SIGN_OUT_URL, { method: "POST", credentials: "omit",
                                                headers: { Authorization: "Bearer " + s.token } });
        revoked = r.status === 204 || r.status === 401;
      } catch {
        revoked = false;
      }
    }
    await kv.set(KEY, { app, username: s ? s.username : "" });  // the name only, for the form
    if (s && s.user_id) await wipeUser(app, s.user_id, { idb, cacheStorage, keepCache });
    return revoked;
  }

  return { current, lastUsername, signIn, obtain, signOut };
}

/** Deletes a user's database of this app and every cache but the app shell's. */
export async function wipeUser(app, userId, { idb = globalThis.indexedDB, cacheStorage = globalThis.caches,
                                              keepCache = () => false } = {}) {
  if (idb) await deleteDb(userDbName(app, userId), idb);
  if (cacheStorage) {
    for (const name of await cacheStorage.keys()) if (!keepCache(name)) await cacheStorage.delete(name);
  }
}
