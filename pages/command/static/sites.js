/* The registered sites of enterprises and the green-channel projects (GET /api/v1/sites) as
 * their own layer of the command map, with a switch in the map's corner (off by default, the
 * choice remembered on this browser): green-channel projects green, enterprises slate. Only
 * command may read every site; for a dispatcher the switch is not shown. */

import { el } from "/static/shared/dom.js";

/* global L */

const KEY = "command.sites";

export function createSites({ map, show, auth, t, role }) {
  const layer = L.layerGroup();
  let loaded = null;

  async function load() {
    const j = await auth.apiJson("/api/v1/sites");
    j.items.forEach((s) => {
      const green = Boolean(s.green_channel);
      L.circleMarker(show(s.location.lat, s.location.lon), {
        radius: 6, weight: 2, color: "#fff", fillOpacity: 0.95,
        fillColor: green ? "#2b8a3e" : "#495057", className: green ? "site-green" : "site-enterprise",
      }).bindTooltip((green ? t("site.green") : t("site.enterprise")) + " · " + s.name +
                     (s.address ? " · " + s.address : "")).addTo(layer);
    });
    map.getContainer().dataset.sites = String(j.items.length);
  }

  async function toggle(on) {
    try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
    if (!on) { map.removeLayer(layer); return; }
    if (!loaded) loaded = load();
    await loaded;
    layer.addTo(map);
  }

  if (role !== "commander") return { toggle: async () => {}, count: () => 0 };
  const box = L.control({ position: "topleft" });
  box.onAdd = () => {
    const label = el("label", "map-note layer-switch");
    const input = el("input");
    input.type = "checkbox";
    input.id = "layer-sites";
    let remembered = false;
    try { remembered = localStorage.getItem(KEY) === "1"; } catch (e) { /* private mode */ }
    input.checked = remembered;
    input.addEventListener("change", () => toggle(input.checked));
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + t("layer.sites")));
    L.DomEvent.disableClickPropagation(label);
    if (remembered) toggle(true);
    return label;
  };
  box.addTo(map);
  return { toggle, count: () => layer.getLayers().length };
}
