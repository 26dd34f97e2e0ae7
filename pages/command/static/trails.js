/* Officers' trails: the fixes of the last minutes (GET /api/v1/officers/{id}/trail, the window
 * the server's TRAIL_MINUTES sets) as a line on the command map, for the officer clicked and the
 * officers on the opened case. Shifted to the tiles' datum by `show`. */

/* global L */

export function createTrails({ map, show, auth }) {
  const layer = L.layerGroup().addTo(map);
  const drawn = new Map();  // officer id -> {line, points}

  async function draw(officerId) {
    const j = await auth.apiJson("/api/v1/officers/" + encodeURIComponent(officerId) + "/trail");
    const old = drawn.get(officerId);
    if (old) layer.removeLayer(old.line);
    const points = j.items.map((p) => show(p.lat, p.lon));
    const line = L.polyline(points, { color: "#6741d9", weight: 3, opacity: 0.8,
                                      dashArray: "6 4", className: "officer-trail" });
    line.addTo(layer);
    drawn.set(officerId, { line, points: points.length, minutes: j.minutes });
    return points.length;
  }

  /** Only these officers' trails (the opened case's), each read again. */
  async function only(ids) {
    for (const id of drawn.keys()) {
      if (!ids.includes(id)) { layer.removeLayer(drawn.get(id).line); drawn.delete(id); }
    }
    await Promise.all(ids.map((id) => draw(id).catch(() => 0)));
  }

  return {
    draw, only,
    clear: () => { layer.clearLayers(); drawn.clear(); },
    /** officer id -> how many points are drawn (for the tests and a curious console). */
    drawn: () => Object.fromEntries(Array.from(drawn, ([id, d]) => [id, d.points])),
  };
}
