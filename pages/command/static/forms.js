/* The pure parts of the action forms (actions.js): a datetime-local input's value read and
 * written at a given offset (the page passes China Standard Time's, time.js's CST_OFFSET_MS),
 * and a refusal's words as the server wrote them (its detail, each field's message), so the
 * page never words a refusal of its own. Pure (tests/js/actions.test.mjs). */

/** An instant as a datetime-local input's value at `offsetMs` from UTC. */
export function toLocalInput(ms, offsetMs) {
  return new Date(ms + offsetMs).toISOString().slice(0, 16);
}

/** A datetime-local input's value, read at `offsetMs` from UTC, as an ISO instant with that
 * offset ("" for an empty input: the server names the field). */
export function fromLocalInput(value, offsetMs) {
  if (!value) return "";
  const minutes = Math.round(Math.abs(offsetMs) / 60e3);
  const hh = String(Math.floor(minutes / 60)).padStart(2, "0"), mm = String(minutes % 60).padStart(2, "0");
  return value + ":00" + (offsetMs < 0 ? "-" : "+") + hh + ":" + mm;
}

/** The words of a problem+json answer: its detail (or title) and each field's message. */
export function problemText(status, problem) {
  const p = problem || {};
  const parts = [String(p.detail || p.title || status)];
  (p.errors || []).forEach((e) => {
    const line = (e.field ? e.field + ": " : "") + (e.message || "");
    if (line && !parts.includes(line)) parts.push(line);
  });
  return parts.join(" — ");
}
