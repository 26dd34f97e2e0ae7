// The apps' sentences (pages/static/shared/i18n.js): Chinese by default, English when chosen,
// a missing sentence falling back to Chinese, then to its key; placeholders filled.
import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_LANG, missingKeys, pickLang, translator } from "../../pages/static/shared/i18n.js";

const M = { "zh-CN": { hi: "你好，{name}", only: "只有中文" }, en: { hi: "Hello, {name}" } };

test("Chinese unless English was chosen", () => {
  assert.equal(DEFAULT_LANG, "zh-CN");
  assert.equal(pickLang(undefined), "zh-CN");
  assert.equal(pickLang("fr"), "zh-CN");
  assert.equal(pickLang("en"), "en");
});

test("placeholders, fallbacks and the missing keys", () => {
  const en = translator(M, "en"), zh = translator(M, "zh-CN");
  assert.equal(en("hi", { name: "Li" }), "Hello, Li");
  assert.equal(zh("hi", { name: "李" }), "你好，李");
  assert.equal(en("hi"), "Hello, {name}");
  assert.equal(en("hi", { other: 1 }), "Hello, {name}");
  assert.equal(en("only"), "只有中文");
  assert.equal(en("nothing"), "nothing");
  assert.deepEqual(missingKeys(M, "en"), ["only"]);
});
