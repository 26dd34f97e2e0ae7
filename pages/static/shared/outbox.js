/* The outbox: what a phone app has to send, kept until the server has it, sent in order and
 * exactly once. Pure: the store (storage.js's, or a fake), `send`, the clock and the key maker
 * are passed in (tests/js/outbox.test.mjs).
 *
 * The rules (issue 16; the anchors' bugs they avoid are in the README's "The phone apps"):
 * - an action is written to the store BEFORE `queue` resolves: the page says "queued" only after;
 * - its Idempotency-Key is made once, when it is queued, and every retry sends the same one, so
 *   an answer lost after the server committed gives one case, not two;
 * - flushed oldest first; an item leaves the store only after a 2xx (a 201, or the 200 replay of
 *   its key); a 4xx other than 408/429 marks it failed with the server's problem (kept, shown,
 *   never sent again by itself); a network error, 408, 429 or 5xx keeps it and backs off (the
 *   server's Retry-After when it gives one) and stops the flush there, so nothing overtakes it;
 *   a 401 stops the flush and asks for sign-in;
 * - a child (a photo) waits for its parent (its report), is sent after it with the parent's new
 *   id put in its url (`{parent}`), and is its own item: a photo that fails never blocks or
 *   drops its report; a report the server refused fails its photos with it. */

export const PARENT = "{parent}";
const BASE_BACKOFF_MS = 2000, MAX_BACKOFF_MS = 5 * 60e3, MAX_RETRY_AFTER_MS = 3600e3;

/** What to do with an answer: "done", "failed", "retry" or "auth". 0 = no answer at all. */
export function classify(status) {
  if (status >= 200 && status < 300) return "done";
  if (status === 401) return "auth";
  if (status === 0 || status === 408 || status === 429 || status >= 500) return "retry";
  return "failed";
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); null without one. */
export function parseRetryAfter(value, nowMs) {
  if (value === null || value === undefined || value === "") return null;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, (at - nowMs) / 1000);
}

/** The wait before the next try, after `attempts` failed tries (1, 2, ...): doubling from 2 s
 * to 5 min, or the server's Retry-After (up to an hour) when it asks for longer. */
export function backoffMs(attempts, retryAfterS = null) {
  const own = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
  if (retryAfterS === null) return own;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(own, retryAfterS * 1000));
}

export function randomKey(c = globalThis.crypto) {
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * `store`: storage.js's outbox store. `send(item)` resolves to {status, retryAfter, body}
 * (status 0 when no answer came). `lock(fn)`: runs fn alone across the app's tabs and its
 * service worker (navigator.locks where it exists). `onChange()` after every change;
 * `onAuth()` when the server wants a sign-in; `onDone(item, body)` when the server took an item
 * (its answer: e.g. the new case), after it left the store.
 */
export function createOutbox({ store, send, now = () => Date.now(), makeKey = randomKey,
                               lock = (fn) => fn(), onChange = () => {}, onAuth = () => {},
                               onDone = () => {} }) {
  let running = null;

  function fresh(action) {
    return {
      kind: action.kind, label: action.label ?? null, method: action.method || "POST",
      url: action.url, json: action.json ?? null, parts: action.parts ?? null,
      parent: null, key: makeKey(), device_time: new Date(now()).toISOString(),
      state: "queued", attempts: 0, next_at: 0, problem: null, result: null,
    };
  }

  /** Queues an action and its children (e.g. a report and its photos) in one write; resolves
   * to the action's id once it is in the store. A child's url may hold `{parent}`. */
  async function queue(action, children = []) {
    const id = await store.addGroup(fresh(action), children.map(fresh));
    onChange();
    return id;
  }

  async function settle(item, status, body, retryAfter, items) {
    const verdict = classify(status);
    const kids = items.filter((x) => x.parent === item.id);
    if (verdict === "done") {
      // The children first: if the page dies between the two writes, the parent is sent again
      // under its key, replayed by the server, and its children are already pointed at it.
      const newId = body && typeof body === "object" && body.id !== undefined ? String(body.id) : "";
      for (const k of kids) {
        await store.put({ ...k, parent: null, url: k.url.split(PARENT).join(encodeURIComponent(newId)) });
      }
      await store.delete(item.id);
      onDone(item, body);
      return "done";
    }
    if (verdict === "failed") {
      const problem = body && typeof body === "object" ? body : { status };
      await store.put({ ...item, state: "failed", problem: { ...problem, status } });
      for (const k of kids) {
        await store.put({ ...k, state: "failed", problem: { status, parent_failed: true } });
      }
      return "failed";
    }
    if (verdict === "retry") {
      const attempts = item.attempts + 1;
      const wait = backoffMs(attempts, parseRetryAfter(retryAfter, now()));
      await store.put({ ...item, attempts, next_at: now() + wait, problem: status ? { status } : null });
    }
    return verdict;
  }

  async function pass(force) {
    const summary = { sent: 0, failed: 0, waiting: 0, nextAt: null, auth: false };
    const items = await store.list();
    for (const item of items) {
      if (item.state !== "queued") continue;
      if (item.parent !== null && items.some((x) => x.id === item.parent)) continue;
      if (!force && item.next_at > now()) {
        summary.waiting = items.filter((x) => x.state === "queued").length;
        summary.nextAt = item.next_at;
        return summary;
      }
      let answer;
      try {
        answer = await send(item);
      } catch {
        answer = { status: 0 };
      }
      const verdict = await settle(item, answer.status, answer.body, answer.retryAfter, items);
      onChange();
      if (verdict === "done") { summary.sent += 1; return mergeAfter(summary, await pass(force)); }
      if (verdict === "failed") { summary.failed += 1; return mergeAfter(summary, await pass(force)); }
      if (verdict === "auth") { summary.auth = true; onAuth(); }
      const left = await store.list();
      summary.waiting = left.filter((x) => x.state === "queued").length;
      const mine = left.find((x) => x.id === item.id);
      summary.nextAt = mine ? mine.next_at : null;
      return summary;
    }
    return summary;
  }

  /** Sends what is due, oldest first. `force`: also what is backing off (the network came
   * back, the page became visible, the app started). Concurrent calls share one pass. */
  function flush({ force = false } = {}) {
    if (running === null) {
      running = Promise.resolve(lock(() => pass(force))).finally(() => { running = null; });
    }
    return running;
  }

  async function retry(id) {
    const item = (await store.list()).find((x) => x.id === id);
    if (!item) return;
    await store.put({ ...item, state: "queued", attempts: 0, next_at: 0, problem: null });
    onChange();
  }

  async function discard(id) {
    const items = await store.list();
    for (const x of items) if (x.id === id || x.parent === id) await store.delete(x.id);
    onChange();
  }

  return { queue, flush, retry, discard, list: () => store.list() };
}

function mergeAfter(before, after) {
  return { sent: before.sent + after.sent, failed: before.failed + after.failed,
           waiting: after.waiting, nextAt: after.nextAt, auth: after.auth };
}
