/* Which cases are the officer's tasks and what can be done with each, read from the server's
 * case (its status and its units' accepted/arrived marks): the page decides no rule, it says
 * what the server's state allows and what is queued on the phone. Pure
 * (tests/js/officer_tasks.test.mjs). */

export const OPEN = ["reported", "dispatched", "on_site", "restored", "reopened"];
export const ACTIONS = ["accept", "check-in", "restore", "resolve"];

/** The case's assignment of `unitCode`, or null. */
export function mine(c, unitCode) {
  return (c.units || []).find((u) => u.code === unitCode) || null;
}

/** An open case of the officer's unit. */
export function isTask(c, unitCode) {
  return OPEN.includes(c.status) && mine(c, unitCode) !== null;
}

/** "offered" (nobody of the unit took it), "accepted" (on the way), "arrived", "restored",
 * "resolved": where the unit's work on the case stands. */
export function stage(c, unitCode) {
  const u = mine(c, unitCode);
  if (!u) return null;
  if (c.status === "resolved" || c.status === "closed") return "resolved";
  if (c.status === "restored") return "restored";
  if (u.arrived_at) return "arrived";
  if (u.accepted_at) return "accepted";
  return "offered";
}

/** The next action the server would take from this officer, given what is already queued on
 * the phone for the case (`queued`: the kinds, oldest first): one action at a time is offered,
 * in the order the case moves. A reopened case is solved again (resolve). */
export function nextAction(c, unitCode, queued = []) {
  const s = stage(c, unitCode);
  const order = { offered: "accept", accepted: "check-in", arrived: "restore", restored: "resolve" };
  let next = c.status === "reopened" ? "resolve" : order[s] || null;
  if (s === "arrived" && c.status !== "on_site" && c.status !== "reopened") next = null;
  // What is queued already moves the case on, on the phone: offer what comes after it.
  for (const kind of queued) {
    if (kind === next) next = ACTIONS[ACTIONS.indexOf(kind) + 1] || null;
  }
  return next;
}

/** Tracking is for a task this officer took and that is not solved yet. */
export function active(c, unitCode, userId) {
  const u = mine(c, unitCode);
  return Boolean(u && u.accepted_by === userId && ["dispatched", "on_site", "restored", "reopened"].includes(c.status));
}

/** Tasks in the order an officer works them: not yet taken first, then by the unit's arrival
 * deadline, the earliest first; ties by the case's number. */
export function ordered(cases, unitCode) {
  const rank = (c) => (stage(c, unitCode) === "offered" ? 0 : 1);
  const due = (c) => Date.parse((mine(c, unitCode) || {}).arrival_due || c.received_at) || 0;
  return cases.filter((c) => isTask(c, unitCode))
    .sort((a, b) => rank(a) - rank(b) || due(a) - due(b) || String(a.case_number).localeCompare(String(b.case_number)));
}

/** The queued actions' case id, read from their url (/api/v1/incidents/<id>/<action>). */
export function caseOf(item) {
  const m = /\/incidents\/([^/]+)\/(accept|check-in|restore|resolve|photos)$/.exec(item.url || "");
  return m ? decodeURIComponent(m[1]) : null;
}

/** A case's number as people read it out (the short id where a server gives none). */
export function caseNumber(c) {
  return c.case_number || String(c.id).slice(0, 8);
}
