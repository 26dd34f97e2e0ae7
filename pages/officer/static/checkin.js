/* What the check-in screen says before anything is sent: the distance from the fix to the site,
 * the fix's accuracy and the server's radius (handed to the page in its boot data: the server's
 * DISPATCH_CHECKIN_RADIUS_M, plus the fix's accuracy up to DISPATCH_CHECKIN_ACCURACY_CAP_M, as
 * the server's rule reads). The page only shows it and holds back a fix that plainly cannot
 * count; the server judges every check-in again and its answer is what the officer sees after.
 * Pure (tests/js/officer_checkin.test.mjs); `metres` (shared/trail.js's) is passed in, as the
 * shared modules sit beside this one only under the app's served url. */

/** How old a fix may be to count as the "fresh" one a check-in needs (the browser is asked for
 * maximumAge 0; a cached fix handed back anyway is refused here). */
export const FRESH_S = 30;

/** {distance_m, accuracy_m, radius_m, limit_m, ok, why}: `why` is "far", "stale" or null. */
export function judgeFix(fix, site, rule, nowMs, metres) {
  const distance = metres({ lat: fix.lat, lon: fix.lon }, site);
  const accuracy = Math.max(0, fix.accuracy_m || 0);
  const limit = rule.radius_m + Math.min(accuracy, rule.accuracy_cap_m);
  const age = (nowMs - Date.parse(fix.recorded_at)) / 1000;
  let why = null;
  if (age > FRESH_S) why = "stale";
  else if (distance > limit) why = "far";
  return { distance_m: Math.round(distance), accuracy_m: Math.round(accuracy),
           radius_m: Math.round(rule.radius_m), limit_m: Math.round(limit), ok: why === null, why };
}

/** The server's refusal in words: the field's message when it names one (it carries the
 * distance or the speed), else its detail or title. */
export function refusal(problem) {
  if (!problem) return "";
  const field = problem.errors && problem.errors[0];
  if (field && field.message) return field.message;
  return problem.detail || problem.title || String(problem.status || "");
}
