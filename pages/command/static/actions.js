/* Acting on a case from its detail (issue 17), for what the role may do (`boot.may`, read by the
 * server from the API routes' own roles): assign to a named person with a deadline (集中交办),
 * extend with a reason, withhold from disclosure with a reason, reply to a complaint, remind a
 * unit (催办). Each form calls the API with the page's bearer token, which only a request with
 * the session's CSRF token obtains (auth.js, POST /command/token); a refusal shows the server's
 * own problem (its detail and each field's message), never a message of the page's. And what
 * command decided on the case so far: its central assignment, extension, withholding and
 * complaints. Every other operator's page sees the change live: each action writes an event. */

import { el } from "/static/shared/dom.js";
import { CST_OFFSET_MS, cst } from "/static/shared/time.js";
import { fromLocalInput, problemText, toLocalInput } from "./forms.js";

const toLocal = (ms) => toLocalInput(ms, CST_OFFSET_MS);
const fromLocal = (value) => fromLocalInput(value, CST_OFFSET_MS);

export function createActions({ boot, t, auth, unitName, officerNames, onDone }) {
  const box = document.getElementById("detail-actions");
  const summary = document.getElementById("detail-supervision");
  const may = boot.may || {};
  let current = null, roster = null, forms = {};

  async function officers() {
    if (roster === null) {
      const r = await auth.api("/api/v1/officers");
      roster = r.ok ? (await r.json()).items || [] : [];
      roster.forEach((o) => { if (o.name) officerNames[o.id] = o.name; });
    }
    return roster;
  }

  async function send(form, path, body) {
    const out = form.querySelector(".answer");
    out.className = "answer";
    out.textContent = "…";
    form.querySelector("button").disabled = true;
    try {
      const r = await auth.api(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                       body: JSON.stringify(body) });
      if (r.ok) {
        out.className = "answer ok";
        out.textContent = t("act.done");
        form.querySelectorAll("input[type=text]").forEach((i) => { i.value = ""; });
        onDone(current.id);
      } else {
        let problem = null;
        try { problem = await r.json(); } catch { problem = null; }
        out.className = "answer problem";
        out.textContent = problemText(r.status, problem);
      }
    } catch (e) {
      out.className = "answer problem";
      out.textContent = String((e && e.message) || e);
    } finally {
      form.querySelector("button").disabled = false;
    }
  }

  function field(form, label, input) {
    const l = el("label", "", t(label) + " ");
    l.appendChild(input);
    form.appendChild(l);
    return input;
  }

  function select(name, options) {
    const s = el("select");
    s.name = name;
    options.forEach(([value, text]) => { const o = el("option", "", text); o.value = value; s.appendChild(o); });
    return s;
  }

  function input(name, type = "text") {
    const i = el("input");
    i.name = name;
    i.type = type;
    return i;
  }

  function form(action, fill) {
    const f = el("form", "act");
    f.id = "act-" + action;
    f.appendChild(el("h4", "", t("act." + action)));
    const body = fill(f);
    const button = el("button", "", t("act." + action + ".submit"));
    button.type = "submit";
    f.appendChild(button);
    f.appendChild(el("div", "answer"));
    f.addEventListener("submit", (ev) => { ev.preventDefault(); const [path, json] = body(); send(f, path, json); });
    box.appendChild(f);
    forms[action] = f;
    return f;
  }

  const base = () => "/api/v1/incidents/" + encodeURIComponent(current.id);
  const unitOptions = () => current.units.map((u) => [u.code, u.name || unitName(u.code)]);

  function build(inc) {
    box.replaceChildren();
    forms = {};
    const due0 = Date.parse(inc.deadlines.resolve);
    if (may.assign) {
      form("assign", (f) => {
        const unit = field(f, "filter.unit", select("unit", unitOptions()));
        const person = field(f, "act.person", select("person", []));
        const due = field(f, "act.due", input("due", "datetime-local"));
        due.value = toLocal(Date.now() + 2 * 3600e3);
        const people = async () => {
          const list = (await officers()).filter((o) => o.unit && o.unit.code === unit.value);
          person.replaceChildren(...list.map((o) => { const x = el("option", "", o.name || o.username || o.id); x.value = o.id; return x; }));
        };
        unit.addEventListener("change", people);
        people();
        return () => [base() + "/assign", { unit: unit.value, person: person.value, due: fromLocal(due.value) }];
      });
    }
    if (may.extend) {
      form("extend", (f) => {
        const until = field(f, "act.until", input("until", "datetime-local"));
        until.value = toLocal(due0 + 24 * 3600e3);
        const reason = field(f, "act.reason", input("reason"));
        return () => [base() + "/extend", { until: fromLocal(until.value), reason: reason.value }];
      });
    }
    if (may.remind) {
      form("remind", (f) => {
        const unit = field(f, "filter.unit", select("unit", unitOptions()));
        const note = field(f, "act.note", input("note"));
        return () => [base() + "/remind", { unit: unit.value, note: note.value }];
      });
    }
    if (may.reply) {
      form("reply", (f) => {
        const which = field(f, "act.complaint", select("complaint", []));
        const reply = field(f, "act.reply_text", input("reply"));
        return () => [base() + "/complaints/" + encodeURIComponent(which.value) + "/reply", { reply: reply.value }];
      });
    }
    if (may.withhold) {
      form("withhold", (f) => {
        const reason = field(f, "act.reason", input("reason"));
        return () => [base() + "/withhold", { reason: reason.value }];
      });
    }
  }

  /** What command decided on the case, and the complaints awaiting a reply in the reply form. */
  function drawSummary(inc) {
    summary.replaceChildren();
    const line = (key, text) => {
      const li = el("li", "", t(key) + ": " + text);
      li.dataset.what = key;
      summary.appendChild(li);
    };
    const last = (type) => (inc.timeline || []).filter((e) => e.type === type).pop();
    const ca = inc.central_assignment, named = last("centrally_assigned");
    if (ca) {
      const who = officerNames[ca.person] || (named && named.data.person_name) || ca.person;
      line("act.assigned", unitName(ca.unit) + " · " + who +
                           " · " + t("act.due") + " " + cst(ca.due));
    }
    const x = inc.extension;
    if (x) line("act.extended", "×" + x.count + " · " + cst(x.deadline) + " · " + (x.reason || ""));
    const withheld = last("withheld");
    if (withheld) line("act.withheld", withheld.data.reason || "");
    const reminded = last("reminded");
    if (reminded) {
      line("act.reminded", unitName(reminded.data.unit) + " · " + cst(reminded.at) +
                           (reminded.data.note ? " · " + reminded.data.note : ""));
    }
    (inc.complaints || []).forEach((c) => {
      line("act.complaint_n", "#" + c.id + " " + c.text + " → " + (c.reply ? c.reply : t("act.awaiting")));
    });
    if (!summary.children.length) summary.appendChild(el("li", "muted", "—"));
    if (forms.reply) {
      const s = forms.reply.querySelector("select");
      const open = (inc.complaints || []).filter((c) => !c.reply);
      const keep = s.value;
      s.replaceChildren(...open.map((c) => { const o = el("option", "", "#" + c.id + " " + c.text.slice(0, 30)); o.value = String(c.id); return o; }));
      if (open.some((c) => String(c.id) === keep)) s.value = keep;
      forms.reply.hidden = open.length === 0;  // nothing awaits a reply
    }
  }

  return {
    /** The case's detail was (re)drawn: forms built once per case, so a live refresh does not
     * wipe what the operator is typing; the summary each time. */
    draw(inc) {
      const again = current && current.id === inc.id;
      current = inc;
      if (!again) build(inc);
      drawSummary(inc);
    },
    clear() { current = null; box.replaceChildren(); summary.replaceChildren(); },
  };
}
