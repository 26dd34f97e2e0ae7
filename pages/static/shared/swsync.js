/* The service worker's half of the outbox: on a Background Sync event it reads who is signed in
 * (the app's database, appsignin.js), opens that user's outbox (appoutbox.js) and sends it with
 * the kept token, under the same lock as the pages; then tells the open pages to redraw. A
 * token that ran out sends nothing: the queue waits for the next sign-in. */

import { live } from "./appsignin.js";
import { openUserData } from "./appoutbox.js";
import { appDbName, idbKv, openDb } from "./storage.js";

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
  const { outbox } = await openUserData({ app, userId: session.user_id, api, onChange: () => {}, onAuth: () => {} });
  const summary = await outbox.flush({ force: true });
  await tell();
  // Still something to send: fail the event, so the browser tries the sync again later.
  if (summary && summary.waiting > 0 && !summary.auth) throw new Error("outbox: still waiting");
  return summary;
}
