/* What the reporter reads about a case, from the case as the API sends it: the number to read
 * out on the phone, and the progress lines (units taken, on the way, arrived; order restored,
 * problem solved, closed; an extension with its reason). The server decides every fact; this
 * only picks the sentences (keys of messages.js with their values). Pure
 * (tests/js/report_case_text.test.mjs). */

/** The case number people read out (`case_number` when the server gives one), else the short
 * internal id. */
export function caseNumber(c) {
  if (c && typeof c.case_number === "string" && c.case_number) return c.case_number;
  return c && c.id ? String(c.id).slice(0, 8) : "";
}

/** The units' lines: [{unit, key, at, distance_m}] in the case's order. */
export function unitLines(c) {
  return (c.units || []).map((u) => {
    if (u.arrived_at) return { unit: u.name || u.code, key: "case.unit_arrived", at: u.arrived_at };
    if (u.accepted_at) {
      const d = typeof u.distance_m === "number" ? Math.round(u.distance_m) : null;
      return { unit: u.name || u.code, key: "case.unit_accepted", at: u.accepted_at, distance_m: d };
    }
    return { unit: u.name || u.code, key: "case.unit_waiting", at: null };
  });
}

/** The case's own milestones, in the order they happen: [{key, at}]. */
export function milestoneLines(c) {
  const m = c.milestones || {}, out = [];
  if (m.restored_at) out.push({ key: "case.restored", at: m.restored_at });
  if (m.resolved_at) out.push({ key: "case.resolved", at: m.resolved_at });
  if (m.closed_at) out.push({ key: "case.closed", at: m.closed_at });
  return out;
}

/** The extension, if any: {until, reason}. */
export function extensionLine(c) {
  const e = c.extension;
  return e && e.count > 0 ? { until: e.deadline, reason: e.reason || "" } : null;
}

/** Whether the server is waiting for this reporter's feedback (回访). */
export function feedbackAsked(c) {
  return Boolean(c.feedback && c.feedback.requested_due && !c.feedback.at && c.status === "resolved");
}

/** Newest first, as the list shows them. */
export function byNewest(cases) {
  return [...cases].sort((a, b) => (a.received_at < b.received_at ? 1 : a.received_at > b.received_at ? -1 : 0));
}
