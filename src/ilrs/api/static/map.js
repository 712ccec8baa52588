// The south-pole map: the plan's rasters as pictures on the polar stereographic grid, the
// graticule, named features and sites drawn over them in the grid's own metres.
"use strict";

(async () => {
  const { api, svg, clear, fmt } = ilrs;
  const mapBox = document.getElementById("map");
  const panel = document.getElementById("panel");
  const plan = await api("/api/plan");
  ilrs.planWarning(plan);
  if (!plan.summary) {
    const note = document.getElementById("map-note");
    const link = document.createElement("a");
    link.href = "/plan";
    link.textContent = "Plan page";
    note.append(`No plan has been computed in ${plan.folder} yet: run it on the `, link,
      " (or with ilrs plan), and the map shows its layers.");
    return;
  }
  const map = await api("/api/plan/map");
  const [xMin, xMax, yMin, yMax] = map.extent_m;
  mapBox.style.aspectRatio = `${xMax - xMin} / ${yMax - yMin}`;

  // Pictures: the hillshaded terrain under the chosen layer.
  const base = document.createElement("img");
  base.alt = "hillshaded terrain";
  base.src = "/api/plan/layers/terrain.png";
  base.dataset.layer = "terrain";
  const overlay = document.createElement("img");
  overlay.alt = "";
  overlay.hidden = true;
  mapBox.append(base, overlay);

  // Drawing in km, y up: SVG's y is -y.
  const km = 1000;
  const overlaySvg = svg("svg", {
    viewBox: `${xMin / km} ${-yMax / km} ${(xMax - xMin) / km} ${(yMax - yMin) / km}`,
    preserveAspectRatio: "none",
  }, mapBox);
  const strokeKm = (xMax - xMin) / km / 600;
  const graticule = svg("g", { id: "graticule", fill: "none", stroke: "#ffffff", "stroke-opacity": 0.45,
    "stroke-width": strokeKm }, overlaySvg);
  const fontKm = (xMax - xMin) / km / 55;
  for (const line of [...map.graticule.parallels, ...map.graticule.meridians]) {
    const points = line.x_m.map((x, i) => `${x / km},${-line.y_m[i] / km}`).join(" ");
    svg("polyline", { points }, graticule);
    const [x, y] = line.label_at_m;
    svg("text", { x: x / km, y: -y / km, "font-size": fontKm * 0.8, fill: "#fff", stroke: "none",
      "fill-opacity": 0.8, "text-anchor": "middle" }, graticule, line.label);
  }
  const features = svg("g", { id: "features" }, overlaySvg);
  for (const feature of map.features) {
    svg("text", { x: feature.x_m / km, y: -feature.y_m / km, "font-size": fontKm, fill: "#fff",
      "text-anchor": "middle", "paint-order": "stroke", stroke: "#000", "stroke-width": fontKm / 8 },
      features, feature.name);
  }
  const sites = svg("g", { id: "sites" }, overlaySvg);
  for (const site of [...map.sites].reverse()) {  // the plan's own site last, on top
    const marker = svg("circle", { cx: site.x_m / km, cy: -site.y_m / km, r: fontKm * 0.45,
      fill: site.name === "plan" ? "#ff2d2d" : "#ffd400", stroke: "#000", "stroke-width": fontKm / 10,
      "data-site": site.name, tabindex: 0 }, sites);
    svg("title", {}, marker, site.label);
    marker.addEventListener("click", (event) => { event.stopPropagation(); showSite(site); });
  }
  svg("text", { x: 0, y: 0, "font-size": fontKm, fill: "#fff", "text-anchor": "middle" }, overlaySvg, "+");

  // Layers: a radio button each, the legend and the opacity.
  const chooser = document.getElementById("layers");
  const legend = document.getElementById("legend");
  const opacity = document.getElementById("opacity");
  function choose(layer) {
    overlay.hidden = layer.name === "terrain";
    if (!overlay.hidden) {
      overlay.src = `/api/plan/layers/${layer.name}.png`;
      overlay.dataset.layer = layer.name;
      overlay.alt = layer.title;
    }
    const low = layer.vmin === null ? "low" : fmt(layer.vmin);
    const high = layer.vmax === null ? "high" : fmt(layer.vmax);
    legend.innerHTML = "";
    const bar = document.createElement("span");
    bar.className = "bar";
    if (layer.name === "psr") {  // a yes/no layer: one colour where it is yes
      bar.style.background = layer.colors[layer.colors.length - 1];
      bar.style.width = "2rem";
      legend.append(bar, layer.title);
      return;
    }
    legend.append(`${layer.title}${layer.units ? ` [${layer.units}]` : ""}: ${low}`);
    bar.style.background = `linear-gradient(to right, ${layer.colors.join(", ")})`;
    legend.append(bar, high);
  }
  for (const layer of map.layers) {
    const label = document.createElement("label");
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "layer";
    radio.value = layer.name;
    radio.disabled = !layer.available;
    radio.addEventListener("change", () => choose(layer));
    label.append(radio, ` ${layer.name}`);
    label.title = layer.available ? layer.title : "not computed (the plan ran with maps: false)";
    chooser.appendChild(label);
  }
  const first = map.layers.find((l) => l.name === "illumination" && l.available) || map.layers[0];
  chooser.querySelector(`input[value="${first.name}"]`).checked = true;
  choose(first);
  opacity.addEventListener("input", () => { overlay.style.opacity = opacity.value / 100; });
  overlay.style.opacity = opacity.value / 100;
  document.getElementById("show-graticule").addEventListener("change", (e) => {
    graticule.style.display = e.target.checked ? "" : "none";
  });
  document.getElementById("show-features").addEventListener("change", (e) => {
    features.style.display = e.target.checked ? "" : "none";
  });
  document.getElementById("map-note").textContent =
    `${map.synthetic ? "Synthetic terrain (marked synthetic in terrain.tif), " : ""}` +
    `${((xMax - xMin) / km).toFixed(1)} × ${((yMax - yMin) / km).toFixed(1)} km, ` +
    `${map.pixel_m} m pixels, south polar stereographic; ${plan.summary.plan}, written ${plan.summary.written_utc}.`;

  // A click: the values under the point, and a way to study it.
  overlaySvg.addEventListener("click", async (event) => {
    const point = overlaySvg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const at = point.matrixTransform(overlaySvg.getScreenCTM().inverse());
    await showPoint(at.x * km, -at.y * km, null);
  });

  async function showPoint(xM, yM, site) {
    let values;
    try {
      values = await api(`/api/plan/point?x_m=${xM.toFixed(1)}&y_m=${yM.toFixed(1)}`);
    } catch (error) {
      ilrs.showError(error.message);
      return;
    }
    ilrs.showError("");
    clear(panel);
    const title = document.createElement("h3");
    title.textContent = site ? site.label : "A point of the map";
    const where = document.createElement("p");
    const [lat, lon] = site ? [site.lat_deg, site.lon_deg] : [values.lat_deg, values.lon_deg];
    where.textContent = `${lat.toFixed(4)}°, ${lon.toFixed(4)}°E`;
    const rows = map.layers.filter((l) => l.name in values.values).map((l) => ({
      layer: l.name === "terrain" ? "height [m]" : `${l.name}${l.units ? ` [${l.units}]` : ""}`,
      value: values.values[l.name],
    }));
    const link = document.createElement("a");
    const query = new URLSearchParams({ lat: lat.toFixed(5), lon: lon.toFixed(5) });
    if (site) query.set("label", site.label);
    link.href = site && site.name === "plan" ? "/site" : `/site?${query}`;
    link.textContent = "Horizon, Sun and Earth, power: the site page →";
    panel.append(title, where, ilrs.table([["layer", "layer"], ["value", "value"]], rows), link);
    if (site) {
      const source = document.createElement("p");
      source.className = "note";
      source.textContent = `Position: ${site.source}`;
      panel.appendChild(source);
    }
    if (site && site.name === "plan") {
      const figure = document.createElement("img");
      figure.src = "/api/plan/files/site_horizon.png";
      figure.alt = "the plan site's horizon with the Sun's and Earth's paths";
      panel.appendChild(figure);
    }
  }
  function showSite(site) { return showPoint(site.x_m, site.y_m, site); }
})().catch((error) => ilrs.showError(error.message));
