// Distances, durations and ages in words (pages/command/static/words.js): the server sends
// metres and seconds, the page words them in the operator's language, never "min" in Chinese.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ageWords, distanceWords, durationWords, minutesWords } from "../../pages/command/static/words.js";

const ZH = { "unit.m": "米", "unit.km": "公里", "time.about": "约 ", "time.sec": "秒", "time.min": "分钟",
             "time.hour": "小时", "time.day": "天", "age.now": "刚刚", "age.ago": "前", "age.never": "从未定位" };
const t = (k) => ZH[k];

test("a distance in metres under a kilometre, in kilometres above", () => {
  assert.equal(distanceWords(850.4, t), "850 米");
  assert.equal(distanceWords(2000, t), "2.0 公里");
  assert.equal(distanceWords(3250, t), "3.3 公里");
  assert.equal(distanceWords(12_400, t), "12 公里");
  assert.equal(distanceWords(null, t), "—");
});

test("a rough time in seconds, minutes, hours and minutes", () => {
  assert.equal(durationWords(40, t), "约 40 秒");
  assert.equal(durationWords(240, t), "约 4 分钟");
  assert.equal(durationWords(3900, t), "约 1 小时 5 分钟");
  assert.equal(durationWords(7200, t), "约 2 小时");
  assert.equal(durationWords(undefined, t), "—");
});

test("how long ago, in words", () => {
  assert.equal(ageWords(5_000, t), "刚刚");
  assert.equal(ageWords(150_000, t), "2 分钟前");
  assert.equal(ageWords(2 * 3600e3, t), "2 小时前");
  assert.equal(ageWords(3 * 86400e3, t), "3 天前");
  assert.equal(ageWords(NaN, t), "从未定位");
});

test("the assessment's times in minutes, in words", () => {
  assert.equal(minutesWords(750, t), "12.5 分钟");
  assert.equal(minutesWords(null, t), "—");
});
