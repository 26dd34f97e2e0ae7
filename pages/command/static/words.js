/* Distances, durations and ages in the words an operator reads ("3.2 公里", "约 6 分钟",
 * "2 分钟前"), in the page's language through its catalogue (`t`). Pure (tests/js/words.test.mjs):
 * the server sends metres, seconds and instants; this only words them. */

/** "850 m" under a kilometre, else "3.2 km" (one decimal under 10 km). */
export function distanceWords(metres, t) {
  if (typeof metres !== "number" || !Number.isFinite(metres)) return "—";
  if (metres < 1000) return Math.round(metres) + " " + t("unit.m");
  const km = metres / 1000;
  return (km < 10 ? km.toFixed(1) : String(Math.round(km))) + " " + t("unit.km");
}

/** A rough duration: "约 40 秒", "约 6 分钟", "约 1 小时 5 分钟". */
export function durationWords(seconds, t) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t("time.about") + s + " " + t("time.sec");
  const m = Math.round(s / 60);
  if (m < 60) return t("time.about") + m + " " + t("time.min");
  const h = Math.floor(m / 60), rest = m % 60;
  return t("time.about") + h + " " + t("time.hour") + (rest ? " " + rest + " " + t("time.min") : "");
}

/** How long ago: "刚刚" under 30 s, "2 分钟前", "1 小时前", "3 天前". */
export function ageWords(ms, t) {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return t("age.never");
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 30) return t("age.now");
  if (s < 3600) return Math.max(1, Math.floor(s / 60)) + " " + t("time.min") + t("age.ago");
  if (s < 86400) return Math.floor(s / 3600) + " " + t("time.hour") + t("age.ago");
  return Math.floor(s / 86400) + " " + t("time.day") + t("age.ago");
}

/** Minutes from seconds for the assessment's times: "12.5 分钟". */
export function minutesWords(seconds, t) {
  return typeof seconds === "number" ? Math.round(seconds / 6) / 10 + " " + t("time.min") : "—";
}
