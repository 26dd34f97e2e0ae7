/* One search box over the case number, the enterprise's or site's name, the description and
 * the territory: the server searches (`GET /api/v1/incidents?q=`, in the caller's scope, closed
 * cases too) and the page shows what it found: the board narrowed to the open cases found, and
 * a list of every case found (a closed one is opened from there), numbered as people read them
 * out. Enter opens the case when one was found, or the one whose number was typed. */

import { el } from "/static/shared/dom.js";

const WAIT_MS = 250, MAX = 200;

export function createSearch({ t, labels, auth, onFound, onOpen }) {
  const input = document.getElementById("search");
  const list = document.getElementById("search-results");
  const note = document.getElementById("search-note");
  let timer = 0, asked = 0, items = [];

  function draw(text, total) {
    list.replaceChildren();
    note.hidden = !text;
    if (!text) { list.hidden = true; return; }
    note.textContent = t("search.found").replace("{n}", total) +
      (total > items.length ? " " + t("search.first").replace("{n}", items.length) : "");
    list.hidden = items.length === 0;
    items.forEach((i) => {
      const li = el("li");
      li.dataset.id = i.id;
      li.appendChild(el("strong", "", i.case_number || i.id.slice(0, 8)));
      li.appendChild(document.createTextNode(" " + labels.category(i.category) + " · " +
        (i.territory.name || i.territory.code) + " · " + labels.status(i.status)));
      if (i.description) li.appendChild(el("div", "case-sub", i.description.slice(0, 60)));
      list.appendChild(li);
    });
  }

  async function run(text) {
    const mine = ++asked;
    if (!text) { items = []; draw("", 0); onFound(null); return; }
    const r = await auth.api("/api/v1/incidents?per_page=" + MAX + "&q=" + encodeURIComponent(text));
    if (mine !== asked) return;
    if (!r.ok) {
      items = [];
      note.hidden = false;
      note.textContent = String(r.status);
      onFound(new Set());
      return;
    }
    const j = await r.json();
    items = j.items || [];
    draw(text, j.total || items.length);
    onFound(new Set(items.map((i) => i.id)));
  }

  function exact(text) {
    const want = text.trim().toUpperCase();
    return items.find((i) => (i.case_number || "").toUpperCase() === want) ||
           (items.length === 1 ? items[0] : null);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    onChange();
    timer = setTimeout(() => run(input.value.trim()), WAIT_MS);
  });
  input.addEventListener("keydown", async (ev) => {
    if (ev.key === "Escape") { input.value = ""; onChange(); run(""); return; }
    if (ev.key !== "Enter") return;
    clearTimeout(timer);
    onChange();
    await run(input.value.trim());
    const one = exact(input.value);
    if (one) onOpen(one.id);
  });
  list.addEventListener("click", (ev) => {
    const li = ev.target.closest("li[data-id]");
    if (li) onOpen(li.dataset.id);
  });

  let onChange = () => {};
  return {
    /** Search for `text` (the view's, on load or a link); `changed` is told of what is typed. */
    start(text, changed) {
      onChange = () => changed(input.value.trim());
      input.value = text || "";
      if (text) run(text);
    },
    again: () => run(input.value.trim()),
  };
}
