/* The service worker's half of the outbox: on a Background Sync event it reads who is signed in
 * (the app's database, appsignin.js), opens that user's outbox (appoutbox.js) and sends it with
 * the kept token, under the same lock as the pages, after the officer's kept positions
 * (trailsync.js); then tells the open pages to redraw. A
 * token that ran out sends nothing: the queue waits for the next sign-in. */

import { live } from "./appsignin.js";
import { openUserData, webLock } from "./appoutbox.js";
import { appDbName, idbKv, openDb, userDbName } from "./storage.js";
import { sendTrail, trailLockName } from "./trailsync.js";

export async function flushInWorker(app, clientsApi) {
  const db = await openDb(appDbName(app));
  let session;
  try { session = await idbKv(db).get("session"); } finally { db.close(); }
  if (!live(session, Date.now())) return null;
  const api = (url, init) => fetch(url, { ...init, credentials: "omit",
                                          headers: { ...(init.headers || {}), Authorization: "Bearer " + session.token } });
  const tell = async () => {
    for (const c of await clientsApi.matchAll({ type: "window" })) c.postMessage({ type: "outbox-changed" });
  };
  const { outbox, kv } = await openUserData({ app, userId: session.user_id, api, onChange: () => {}, onAuth: () => {} });
  // An officer's kept positions first (none for the reporter's app): the server judges a queued
  // check-in against them.
  await sendTrail({ kv, api, lock: webLock(trailLockName(userDbName(app, session.user_id))) }).catch(() => {});
  const summary = await outbox.flush({ force: true });
  await tell();
  // Still something to send: fail the event, so the browser tries the sync again later.
  if (summary && summary.waiting > 0 && !summary.auth) throw new Error("outbox: still waiting");
  return summary;
}
