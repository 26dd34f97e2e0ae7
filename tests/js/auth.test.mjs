// Tokens for a page's scripts (pages/static/shared/auth.js): kept, renewed at 80 % of their
// life, asked for once however many calls wait, and obtained again once after a 401.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createAuth } from "../../pages/static/shared/auth.js";

function source() {
  const s = { issued: 0, now: 0 };
  s.obtain = async () => { s.issued += 1; return { access_token: "t" + s.issued, expires_in: 600 }; };
  return s;
}

test("kept until 80 % of its life, then renewed", async () => {
  const s = source();
  const auth = createAuth(s.obtain, { now: () => s.now });
  assert.equal(await auth.token(), "t1");
  s.now = 480_000 - 1;
  assert.equal(await auth.token(), "t1");
  s.now = 480_000;
  assert.equal(await auth.token(), "t2");
  assert.equal(await auth.token(true), "t3");
});

test("calls waiting together share one request", async () => {
  const s = source();
  const auth = createAuth(s.obtain, { now: () => s.now });
  const got = await Promise.all([auth.token(), auth.token(), auth.token()]);
  assert.deepEqual(got, ["t1", "t1", "t1"]);
  assert.equal(s.issued, 1);
});

test("a 401 gets a new token and one more try, not two", async () => {
  const s = source(), seen = [];
  const fetchFn = async (path, init) => {
    seen.push(init.headers.Authorization);
    return { status: seen.length < 3 ? 401 : 200, ok: seen.length >= 3 };
  };
  const auth = createAuth(s.obtain, { now: () => s.now, fetchFn });
  assert.equal((await auth.api("/api/v1/x")).status, 401);
  assert.deepEqual(seen, ["Bearer t1", "Bearer t2"]);
  assert.equal((await auth.api("/api/v1/x")).status, 200);
});

test("apiJson: the body, or an error that carries the status", async () => {
  const s = source();
  const answers = [{ status: 200, ok: true, json: async () => ({ a: 1 }) }, { status: 404, ok: false }];
  const auth = createAuth(s.obtain, { fetchFn: async () => answers.shift() });
  assert.deepEqual(await auth.apiJson("/a"), { a: 1 });
  await assert.rejects(auth.apiJson("/b"), (e) => e.status === 404);
});
