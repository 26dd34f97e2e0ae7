// The officer app's sentences (pages/officer/static/messages.js): both languages say every
// sentence, with the same placeholders, and none says "sent" for what is only queued.
import assert from "node:assert/strict";
import { test } from "node:test";

import { missingKeys, translator } from "../../pages/static/shared/i18n.js";
import { MESSAGES } from "../../pages/officer/static/messages.js";

const holes = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("English says every Chinese sentence, with the same placeholders", () => {
  assert.deepEqual(missingKeys(MESSAGES, "en"), []);
  assert.deepEqual(Object.keys(MESSAGES.en).sort(), Object.keys(MESSAGES["zh-CN"]).sort());
  for (const [key, zh] of Object.entries(MESSAGES["zh-CN"])) assert.deepEqual(holes(MESSAGES.en[key]), holes(zh), key);
});

test("a queued action is never called sent", () => {
  for (const lang of ["zh-CN", "en"]) {
    const t = translator(MESSAGES, lang);
    for (const key of ["action.queued", "checkin.queued", "outbox.queued", "outbox.retrying", "checkin.sending"]) {
      assert.doesNotMatch(t(key, { s: 3, action: "x", time: "t" }), /已送达|已发送|服务器已确认|\bsent\b|deliver|confirmed/i, `${lang} ${key}`);
    }
  }
});

test("every action has its name in both languages", () => {
  for (const lang of ["zh-CN", "en"]) {
    for (const kind of ["accept", "check-in", "restore", "resolve"]) assert.ok(MESSAGES[lang]["action." + kind], `${lang} ${kind}`);
    for (const st of ["offered", "accepted", "arrived", "restored", "resolved"]) assert.ok(MESSAGES[lang]["stage." + st], `${lang} ${st}`);
  }
});
