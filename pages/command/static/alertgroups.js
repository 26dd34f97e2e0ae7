/* Overdue alerts grouped per case: one entry a case however many of its units and milestones
 * were missed (a road block with three units late is one alert "×3", not three stacked over the
 * board), the most recent case first. Pure (tests/js/alertgroups.test.mjs). */

/** The key that makes an overdue notice the same notice (a resync's replay, a reload). */
export function alertKey(d) {
  return [d.incident_id, d.data.unit, d.data.milestone, d.data.due].join("|");
}

/** Alerts ({incidentId, unit, milestone, at}) grouped by case: [{incidentId, count, items,
 * latest}], the group with the latest alert first, each group's items in the order raised. */
export function groupAlerts(alerts) {
  const groups = new Map();
  for (const a of alerts) {
    let g = groups.get(a.incidentId);
    if (!g) { g = { incidentId: a.incidentId, count: 0, items: [], latest: "" }; groups.set(a.incidentId, g); }
    g.items.push(a);
    g.count += 1;
    if (String(a.at) > g.latest) g.latest = String(a.at);
  }
  return Array.from(groups.values()).sort((x, y) => (x.latest < y.latest ? 1 : x.latest > y.latest ? -1 : 0));
}
