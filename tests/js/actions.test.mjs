// The pure parts of acting from the page (pages/command/static/forms.js): times typed in
// China Standard Time, and the server's problem shown as it came.
import assert from "node:assert/strict";
import { test } from "node:test";

import { fromLocalInput, problemText, toLocalInput } from "../../pages/command/static/forms.js";

test("a datetime-local value is read and written in China Standard Time", () => {
  const CST = 8 * 3600e3;
  assert.equal(toLocalInput(Date.parse("2026-12-07T16:30:00Z"), CST), "2026-12-08T00:30");
  assert.equal(fromLocalInput("2026-12-08T00:30", CST), "2026-12-08T00:30:00+08:00");
  assert.equal(Date.parse(fromLocalInput(toLocalInput(Date.parse("2026-12-07T16:30:00Z"), CST), CST)),
               Date.parse("2026-12-07T16:30:00Z"));
  assert.equal(fromLocalInput("2026-12-08T00:30", -5.5 * 3600e3), "2026-12-08T00:30:00-05:30");
  assert.equal(fromLocalInput("", CST), "");
});

test("a refusal shows the server's detail and each field's message, once", () => {
  assert.equal(problemText(422, { title: "validation failed", detail: "validation failed",
                                  errors: [{ field: "until", message: "must be later" }] }),
               "validation failed — until: must be later");
  // A field's message equal to the detail is not said twice.
  assert.equal(problemText(422, { detail: "reason: required", errors: [{ field: "reason", message: "required" }] }),
               "reason: required");
  assert.equal(problemText(409, { title: "conflict", detail: "incident is resolved" }), "incident is resolved");
  assert.equal(problemText(502, null), "502");
});
