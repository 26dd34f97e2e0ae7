// The label catalogue's client (pages/static/shared/labels.js) over a document shaped as
// GET /api/v1/labels answers (dispatch/labels.py's `document()`).
import assert from "node:assert/strict";
import { test } from "node:test";

import { LABELS_URL, labelsFor, loadLabels } from "../../pages/static/shared/labels.js";

const DOC = {
  default: "zh-CN", languages: ["zh-CN", "en"],
  labels: {
    "zh-CN": { categories: { gate_blocked: "围门", water_cut: "断水" }, statuses: { reported: "已受理", closed: "已办结" },
               milestones: { arrival: "到场" }, roles: { commander: "指挥中心" }, states: { near: "临近时限" },
               descriptions: { water_cut: "企业和项目建设工地被断水" }, columns: { response_rate: "响应率" } },
    en: { categories: { gate_blocked: "Gate blocked", water_cut: "Water cut" }, statuses: { reported: "Received", closed: "Closed" },
          milestones: { arrival: "Arrival" }, roles: { commander: "Command center" }, states: { near: "Deadline near" },
          descriptions: { water_cut: "An enterprise's or a project site's water supply is cut" },
          columns: { response_rate: "Response rate" } },
  },
};

test("each kind is looked up in the page's language", () => {
  const zh = labelsFor(DOC, "zh-CN"), en = labelsFor(DOC, "en");
  assert.equal(zh.category("water_cut"), "断水");
  assert.equal(en.category("water_cut"), "Water cut");
  assert.equal(zh.status("reported"), "已受理");
  assert.equal(en.milestone("arrival"), "Arrival");
  assert.equal(zh.role("commander"), "指挥中心");
  assert.equal(en.state("near"), "Deadline near");
  assert.equal(zh.description("water_cut"), "企业和项目建设工地被断水");
  assert.equal(zh.column("response_rate"), "响应率");
  assert.equal(en.column("response_rate"), "Response rate");
});

test("a language the catalogue does not speak gets its default", () => {
  const fr = labelsFor(DOC, "fr");
  assert.equal(fr.lang, "zh-CN");
  assert.equal(fr.category("gate_blocked"), "围门");
});

test("an unknown code reads as itself, never as a blank or a prototype's member", () => {
  const zh = labelsFor(DOC, "zh-CN");
  assert.equal(zh.category("from_a_newer_server"), "from_a_newer_server");
  assert.equal(zh.status("toString"), "toString");
  assert.equal(zh.milestone(undefined), "undefined");
});

test("a table's codes in the catalogue's order", () => {
  assert.deepEqual(labelsFor(DOC, "en").codes("statuses"), ["reported", "closed"]);
  assert.deepEqual(labelsFor(DOC, "en").codes("nothing"), []);
});

test("loaded from the server's route; a refusal is an error", async () => {
  const asked = [];
  const ok = async (url) => { asked.push(url); return { ok: true, json: async () => DOC }; };
  assert.equal((await loadLabels("en", ok)).category("gate_blocked"), "Gate blocked");
  assert.deepEqual(asked, [LABELS_URL]);
  await assert.rejects(loadLabels("en", async () => ({ ok: false, status: 503 })), /labels: 503/);
});
