// The reporter app's sentences (pages/report/static/messages.js): both languages say every
// sentence, with the same placeholders, and none says "sent" for what is only queued.
import assert from "node:assert/strict";
import { test } from "node:test";

import { missingKeys, translator } from "../../pages/static/shared/i18n.js";
import { MESSAGES } from "../../pages/report/static/messages.js";

const holes = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("English says every Chinese sentence, with the same placeholders", () => {
  assert.deepEqual(missingKeys(MESSAGES, "en"), []);
  assert.deepEqual(Object.keys(MESSAGES.en).sort(), Object.keys(MESSAGES["zh-CN"]).sort());
  for (const [key, zh] of Object.entries(MESSAGES["zh-CN"])) assert.deepEqual(holes(MESSAGES.en[key]), holes(zh), key);
});

test("a queued report is never called sent", () => {
  for (const lang of ["zh-CN", "en"]) {
    const t = translator(MESSAGES, lang);
    for (const key of ["queued.title", "queued.lead", "outbox.queued", "outbox.retrying"]) {
      assert.doesNotMatch(t(key, { s: 3 }), /已送达|已发送|\bsent\b|deliver/i, `${lang} ${key}`);
    }
  }
  assert.equal(translator(MESSAGES, "zh-CN")("queued.title"), "已保存在手机上，排队待发送");
});
