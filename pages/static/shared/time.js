/* Time as Jiyuan reads it: China Standard Time, UTC+8 all year (no daylight saving), whatever
 * the browser's own zone. The one definition for the pages and the apps (Python's is
 * dispatch/utc.py). The API's times are ISO 8601 in UTC; these turn them into text. Pure: no
 * DOM, no clock of its own (tests/js/time.test.mjs). */

export const CST_OFFSET_MS = 8 * 3600e3;

/** An instant as milliseconds since the epoch: from ISO 8601 text or a number; null for none
 * (null, undefined, "") or for text that is no time. Finer than a millisecond is cut. */
export function instant(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** "YYYY-MM-DD HH:MM:SS" in China Standard Time; "" for no instant. */
export function cst(value) {
  const ms = instant(value);
  if (ms === null) return "";
  return new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

/** "MM-DD HH:MM" in China Standard Time. */
export function cstShort(value) {
  return cst(value).slice(5, 16);
}

/** "HH:MM" in China Standard Time. */
export function cstClock(value) {
  return cst(value).slice(11, 16);
}

/** "YYYY-MM-DD": the day in China Standard Time (the assessment counts whole days of it). */
export function cstDate(value) {
  return cst(value).slice(0, 10);
}

/** Time left as "[-][Nd ][HH:]MM:SS": negative once the instant has passed. */
export function countdown(msLeft, day = "d") {
  const neg = msLeft < 0;
  const s = Math.floor(Math.abs(msLeft) / 1000);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  return (neg ? "-" : "") + (d ? d + day + " " : "") + (d || h ? two(h) + ":" : "") +
    two(m) + ":" + two(sec);
}
