/* Bearer tokens for a page's scripts, as every page and app needs them: obtained from a sign-in
 * source (the command pages' session, POST /command/token; an app's own sign-in), kept in memory
 * only (never in storage a script of another origin could read), renewed at 80 % of their life,
 * obtained once more when the API answers 401 (revoked, or the clock was off), and never asked
 * for twice at once. */

/** Thrown (after `onSignedOut`) when the session is gone: the page should sign in again. */
export class SignedOut extends Error {
  constructor() { super("signed out"); this.name = "SignedOut"; }
}

/** The command pages' token source: the session cookie plus the CSRF header; a 400 or 401
 * means the session (or its CSRF token) is gone. */
export function sessionTokens({ url = "/command/token", csrf, onSignedOut }) {
  return async function obtain() {
    const r = await fetch(url, { method: "POST", credentials: "same-origin",
                                 headers: { "X-CSRFToken": csrf } });
    if (r.status === 401 || r.status === 400) { onSignedOut(); throw new SignedOut(); }
    if (!r.ok) throw new Error("token: " + r.status);
    return r.json();
  };
}

/** `obtain()` resolves to {access_token, expires_in (seconds)}, as both token routes answer. */
export function createAuth(obtain, { now = () => Date.now(),
                                     fetchFn = (...args) => globalThis.fetch(...args) } = {}) {
  let token = null, renewAt = 0, pending = null;

  function getToken(force = false) {
    if (!force && token !== null && now() < renewAt) return Promise.resolve(token);
    if (pending === null) {
      pending = obtain().then((answer) => {
        token = answer.access_token;
        renewAt = now() + Number(answer.expires_in) * 800;
        return token;
      }).finally(() => { pending = null; });
    }
    return pending;
  }

  function forget() { token = null; }

  async function api(path, init = {}, retried = false) {
    const tok = await getToken();
    const r = await fetchFn(path, { ...init,
                                    headers: { ...(init.headers || {}), Authorization: "Bearer " + tok } });
    if (r.status === 401 && !retried) { forget(); return api(path, init, true); }
    return r;
  }

  async function apiJson(path) {
    const r = await api(path);
    if (!r.ok) {
      const e = new Error(path + ": " + r.status);
      e.status = r.status;
      throw e;
    }
    return r.json();
  }

  return { token: getToken, forget, api, apiJson };
}
