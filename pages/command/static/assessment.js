/* The assessment tab: GET /api/v1/stats/units as a ranked table (the server ranks; a unit with
 * too few cases is marked and left unranked) and a Chart.js bar chart of the on-time rates, for a
 * period of whole days in China Standard Time (the last 30 by default); CSV and XLSX downloads
 * with the token. Chart.js (200 KB) is imported only when the tab first draws, never on the
 * map's visit: its UMD file sets `globalThis.Chart` when imported as a module. */

import { el } from "/static/shared/dom.js";
import { cstDate } from "/static/shared/time.js";
import { minutesWords } from "./words.js";

let chartLib = null;
async function loadChart() {
  if (!chartLib) chartLib = import("./vendor/chart.js/chart.umd.js").then(() => globalThis.Chart);
  return chartLib;
}

const DAY_MS = 86400e3;
function pct(x) { return typeof x === "number" ? Math.round(x * 1000) / 10 + " %" : "—"; }

// The ranked table's columns after the rank and the unit: [the row's field, its format]; each
// headed by the column's name in the label catalogue, as the CSV and XLSX head it.
const COLUMNS = [
  ["cases", String], ["response_rate", pct], ["restore_rate", pct], ["completion_rate", pct],
  ["resolution_rate", pct], ["satisfaction_rate", pct], ["arrival_median_s", "mins"],
  ["arrival_p90_s", "mins"], ["overdue_records", String], ["score", pct],
];
const CHART_RATES = [["response_rate", "#1c7ed6"], ["restore_rate", "#2f9e44"],
                     ["completion_rate", "#f08c00"], ["satisfaction_rate", "#ae3ec9"]];

export function createAssessment({ t, labels, auth, unitName }) {
  const mins = (x) => minutesWords(x, t);
  const message = document.getElementById("stats-message");
  let chart = null, loaded = false;

  function range() {
    const q = new URLSearchParams();
    const from = document.getElementById("stats-from").value, to = document.getElementById("stats-to").value;
    if (from) q.set("from", from);
    if (to) q.set("to", to);
    return q;
  }

  async function draw(rows) {
    const head = el("tr");
    ["rank", "name", ...COLUMNS.map((c) => c[0])].forEach((k) => head.appendChild(el("th", "", labels.column(k))));
    document.getElementById("stats-head").replaceChildren(head);
    const frag = document.createDocumentFragment();
    rows.forEach((r) => {
      const row = el("tr", r.too_few_cases ? "too-few" : "");
      row.dataset.unit = r.unit;
      row.appendChild(el("td", "", r.too_few_cases ? "—" : String(r.rank)));
      const name = el("td", "", r.name || unitName(r.unit));
      if (r.too_few_cases) name.appendChild(el("span", "mark", t("stats.too_few")));
      row.appendChild(name);
      COLUMNS.forEach(([field, format]) => {
        const v = r[field];
        row.appendChild(el("td", "", v === null || v === undefined ? "—"
          : format === "mins" ? mins(v) : format(v)));
      });
      frag.appendChild(row);
    });
    document.getElementById("stats-rows").replaceChildren(frag);
    const ranked = rows.filter((r) => !r.too_few_cases);
    const data = {
      labels: ranked.map((r) => r.name || r.unit),
      datasets: CHART_RATES.map(([field, colour]) => ({
        label: labels.column(field), backgroundColor: colour,
        data: ranked.map((r) => (typeof r[field] === "number" ? Math.round(r[field] * 1000) / 10 : null)),
      })),
    };
    if (chart) { chart.data = data; chart.update(); return; }
    const Chart = await loadChart();
    if (chart) { chart.data = data; chart.update(); return; }
    chart = new Chart(document.getElementById("stats-chart"), {
      type: "bar", data,
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + " %" } } } },
    });
  }

  async function load() {
    loaded = true;
    try {
      const j = await auth.apiJson("/api/v1/stats/units?" + range().toString());
      message.hidden = true;
      await draw(j.units || []);
    } catch (e) {
      message.hidden = false;
      message.textContent = t("stats.unavailable") + " (" + (e.status || e.message) + ")";
      document.getElementById("stats-rows").replaceChildren();
    }
  }

  function download(format) {
    return async (ev) => {
      ev.preventDefault();
      const q = range();
      q.set("format", format);
      q.set("lang", labels.lang);  // the header row in the page's language
      try {
        const r = await auth.api("/api/v1/stats/units?" + q.toString());
        if (!r.ok) throw new Error(String(r.status));
        const a = el("a");
        a.href = URL.createObjectURL(await r.blob());
        a.download = "units-assessment." + format;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      } catch (e) {
        message.hidden = false;
        message.textContent = t("stats.unavailable") + " (" + e.message + ")";
      }
    };
  }

  document.getElementById("stats-form").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  document.getElementById("stats-csv").addEventListener("click", download("csv"));
  document.getElementById("stats-xlsx").addEventListener("click", download("xlsx"));
  const today = Date.now();
  document.getElementById("stats-from").value = cstDate(today - 29 * DAY_MS);
  document.getElementById("stats-to").value = cstDate(today);

  return { load, get loaded() { return loaded; } };
}
