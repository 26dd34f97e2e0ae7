// Signing in to a phone app (pages/static/shared/appsignin.js): the token kept until a minute
// before it runs out, a role the app is not for refused, sign-out revoking and wiping.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SignInRefused, createAppSession, live } from "../../pages/static/shared/appsignin.js";
import { memoryKv } from "../../pages/static/shared/storage.js";

function fakeFetch(answers) {
  const calls = [];
  const f = async (url, init) => {
    calls.push([url, init]);
    const a = answers[url];
    if (a === "throw") throw new TypeError("offline");
    return { status: a.status, ok: a.status < 300, json: async () => a.body };
  };
  f.calls = calls;
  return f;
}

const TOKEN = { status: 200, body: { access_token: "T", expires_in: 43200, role: "reporter", user_id: "u1" } };

test("a session is usable until a minute before it runs out", () => {
  assert.equal(live(null, 0), false);
  assert.equal(live({ token: "T", expires_at: 60_001 }, 0), true);
  assert.equal(live({ token: "T", expires_at: 60_000 }, 0), false);
  assert.equal(live({ username: "x" }, 0), false);
});

test("signed in once, the token is kept and handed to auth.js", async () => {
  let now = 0;
  const kv = memoryKv();
  const s = createAppSession({ app: "report", kv, roles: ["reporter"], now: () => now,
                               fetchFn: fakeFetch({ "/api/v1/auth/token": TOKEN }) });
  await s.signIn("demo-reporter", "demo");
  assert.equal((await s.current()).user_id, "u1");
  assert.deepEqual(await s.obtain(), { access_token: "T", expires_in: 43200 });
  now = 43200e3 - 60e3;  // past the margin: gone, but the name is remembered for the form
  let out = 0;
  const again = createAppSession({ app: "report", kv, now: () => now, onSignedOut: () => { out += 1; } });
  assert.equal(await again.current(), null);
  await assert.rejects(again.obtain(), { name: "SignedOut" });
  assert.equal(out, 1);
  assert.equal(await again.lastUsername(), "demo-reporter");
});

test("another role, a wrong password and no network are told apart", async () => {
  const officer = { status: 200, body: { ...TOKEN.body, role: "officer" } };
  const cases = [[officer, "role"], [{ status: 401 }, "wrong"], [{ status: 429 }, "throttled"], ["throw", "offline"]];
  for (const [answer, reason] of cases) {
    const s = createAppSession({ app: "report", kv: memoryKv(), roles: ["reporter"],
                                 fetchFn: fakeFetch({ "/api/v1/auth/token": answer }) });
    await assert.rejects(s.signIn("x", "y"), (e) => e instanceof SignInRefused && e.reason === reason);
    assert.equal(await s.current(), null);
  }
});

test("sign-out revokes on the server, forgets the token and deletes the user's database", async () => {
  const kv = memoryKv();
  const fetchFn = fakeFetch({ "/api/v1/auth/token": TOKEN, "/api/v1/auth/sign-out": { status: 204 } });
  const deleted = [], dropped = [];
  const idb = { deleteDatabase(name) { deleted.push(name); const r = {}; setTimeout(() => r.onsuccess(), 0); return r; } };
  const cacheStorage = { keys: async () => ["jy311-shell-report-abc", "api-copy"],
                         delete: async (n) => { dropped.push(n); } };
  const s = createAppSession({ app: "report", kv, roles: ["reporter"], fetchFn });
  await s.signIn("demo-reporter", "demo");
  assert.equal(await s.signOut({ idb, cacheStorage, keepCache: (n) => n.startsWith("jy311-shell-") }), true);
  assert.equal(fetchFn.calls[1][1].headers.Authorization, "Bearer T");
  assert.deepEqual(deleted, ["jy311-report-u-u1"]);
  assert.deepEqual(dropped, ["api-copy"]);
  assert.equal(await s.current(), null);
  assert.equal(await s.lastUsername(), "demo-reporter");
});
