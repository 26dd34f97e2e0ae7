// China Standard Time, once for the pages (pages/static/shared/time.js): UTC+8 whatever the
// machine's zone (the tests run in UTC and in Asia/Shanghai alike), and the countdown's text.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CST_OFFSET_MS, countdown, cst, cstClock, cstDate, cstShort, instant }
  from "../../pages/static/shared/time.js";

test("UTC+8, with no daylight saving", () => {
  assert.equal(CST_OFFSET_MS, 8 * 3600 * 1000);
  assert.equal(cst("2026-11-27T02:30:15Z"), "2026-11-27 10:30:15");
  assert.equal(cst("2026-07-01T02:30:15Z"), "2026-07-01 10:30:15");  // summer: still +8
  assert.equal(cst("2026-11-27T10:30:15+08:00"), "2026-11-27 10:30:15");
});

test("the day turns at midnight China time, not UTC's", () => {
  assert.equal(cstDate("2026-11-27T15:59:59.999Z"), "2026-11-27");
  assert.equal(cstDate("2026-11-27T16:00:00Z"), "2026-11-28");
  assert.equal(cstDate(Date.UTC(2026, 11, 31, 16)), "2027-01-01");
});

test("short forms", () => {
  assert.equal(cstShort("2026-11-27T02:30:15Z"), "11-27 10:30");
  assert.equal(cstClock("2026-11-27T02:30:15Z"), "10:30");
});

test("an instant from text or a number; nothing for none or nonsense", () => {
  assert.equal(instant("2026-11-27T02:30:00.123456Z"), Date.UTC(2026, 10, 27, 2, 30, 0, 123));
  assert.equal(instant(5), 5);
  for (const none of [null, undefined, "", "yesterday", NaN, Infinity]) assert.equal(instant(none), null);
  assert.equal(cst(null), "");
  assert.equal(cstShort(undefined), "");
});

test("a countdown shows minutes and seconds, hours once there are any, days once there are any", () => {
  assert.equal(countdown(0), "00:00");
  assert.equal(countdown(999), "00:00");
  assert.equal(countdown(59_000), "00:59");
  assert.equal(countdown(60_000), "01:00");
  assert.equal(countdown(3_599_000), "59:59");
  assert.equal(countdown(3_600_000), "01:00:00");
  assert.equal(countdown(86_399_000), "23:59:59");
  assert.equal(countdown(86_400_000), "1d 00:00:00");
  assert.equal(countdown(7 * 86_400_000 + 61_000), "7d 00:01:01");
  assert.equal(countdown(6 * 86_400_000 + 61_000, "天"), "6天 00:01:01");  // the zh page's word
});

test("past the instant the countdown is negative", () => {
  assert.equal(countdown(-1_000), "-00:01");
  assert.equal(countdown(-3_661_000), "-01:01:01");
});
