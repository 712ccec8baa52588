// The south-pole map: the plan's rasters as pictures on the polar stereographic grid over the
// real imagery (the LROC WAC mosaic, cropped to the map by the server), the graticule,
// named features and sites drawn over them in the grid's own kilometres (y up, so SVG's y
// is -y). The wheel zooms, a drag pans; zoomed in past the overview's pixels, the part in
// view is fetched again at full detail.
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
  const km = 1000;
  const full = [xMin / km, -yMax / km, (xMax - xMin) / km, (yMax - yMin) / km];
  mapBox.style.aspectRatio = `${full[2]} / ${full[3]}`;
  const chart = svg("svg", { viewBox: full.join(" "), preserveAspectRatio: "xMidYMid meet" }, mapBox);

  // A picture in map coordinates; `loaded` is set once the browser has decoded it.
  function picture(parent, href, extentM, layer) {
    const [x0, x1, y0, y1] = extentM;
    const image = svg("image", { x: x0 / km, y: -y1 / km, width: (x1 - x0) / km, height: (y1 - y0) / km,
      preserveAspectRatio: "none", "data-layer": layer, style: "image-rendering: pixelated" }, parent);
    image.addEventListener("load", () => { image.dataset.loaded = "true"; });
    image.setAttribute("href", href);
    return image;
  }
  const pictures = svg("g", { id: "pictures" }, chart);
  // Bottom up: the imagery, the terrain (translucent while the imagery shows), the overlay.
  const imageryGroup = svg("g", { id: "imagery" }, pictures);
  picture(imageryGroup, "/api/plan/imagery.png", map.extent_m, "imagery");
  const imageryDetail = svg("g", { id: "imagery-detail" }, imageryGroup);
  const terrainGroup = svg("g", { id: "terrain" }, pictures);
  picture(terrainGroup, "/api/plan/layers/terrain.png", map.extent_m, "terrain");
  const baseDetail = svg("g", { id: "terrain-detail" }, terrainGroup);
  const overlayGroup = svg("g", { id: "overlay" }, pictures);
  let overlay = null;
  const overlayDetail = svg("g", { id: "overlay-detail" }, overlayGroup);

  const graticule = svg("g", { id: "graticule", fill: "none", stroke: "#ffffff", "stroke-opacity": 0.45 }, chart);
  const labels = [];  // texts whose size follows the zoom: [element, size in view widths]
  for (const line of [...map.graticule.parallels, ...map.graticule.meridians]) {
    const points = line.x_m.map((x, i) => `${x / km},${-line.y_m[i] / km}`).join(" ");
    svg("polyline", { points, "vector-effect": "non-scaling-stroke" }, graticule);
    const [x, y] = line.label_at_m;
    labels.push([svg("text", { x: x / km, y: -y / km, fill: "#fff", stroke: "none", "fill-opacity": 0.8,
      "text-anchor": "middle" }, graticule, line.label), 0.8]);
  }
  const features = svg("g", { id: "features" }, chart);
  for (const feature of map.features) {
    labels.push([svg("text", { x: feature.x_m / km, y: -feature.y_m / km, fill: "#fff", "text-anchor": "middle",
      "paint-order": "stroke", stroke: "#000" }, features, feature.name), 1]);
  }
  const sites = svg("g", { id: "sites" }, chart);
  const markers = [];
  for (const site of [...map.sites].reverse()) {  // the plan's own site last, on top
    const marker = svg("circle", { cx: site.x_m / km, cy: -site.y_m / km,
      fill: site.name === "plan" ? "#ff2d2d" : "#ffd400", stroke: "#000", "vector-effect": "non-scaling-stroke",
      "data-site": site.name, tabindex: 0 }, sites);
    svg("title", {}, marker, site.label);
    marker.addEventListener("click", (event) => { event.stopPropagation(); showSite(site); });
    markers.push(marker);
  }

  // The view: zoom and pan change the viewBox; sizes that must stay the same on screen follow.
  let view = [...full];
  const minWidth = (40 * map.pixel_m) / km;  // no closer than 40 pixels across
  function setView(next) {
    const width = Math.min(full[2], Math.max(minWidth, next[2]));
    const height = width * (full[3] / full[2]);
    const x = Math.min(Math.max(next[0], full[0]), full[0] + full[2] - width);
    const y = Math.min(Math.max(next[1], full[1]), full[1] + full[3] - height);
    view = [x, y, width, height];
    chart.setAttribute("viewBox", view.join(" "));
    for (const [text, size] of labels) text.setAttribute("font-size", (view[2] / 55) * size);
    for (const text of features.children) text.setAttribute("stroke-width", view[2] / 440);
    for (const marker of markers) marker.setAttribute("r", view[2] / 120);
    document.getElementById("zoom-note").textContent =
      width < full[2] ? `zoomed ×${(full[2] / width).toFixed(1)}: ${width.toFixed(2)} km across` : "";
    scheduleDetail();
  }
  function toMap(event) {
    const point = chart.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    return point.matrixTransform(chart.getScreenCTM().inverse());
  }
  chart.addEventListener("wheel", (event) => {
    event.preventDefault();
    const at = toMap(event);
    const factor = event.deltaY < 0 ? 1 / 1.25 : 1.25;
    const width = view[2] * factor;
    const height = view[3] * factor;
    setView([at.x - (at.x - view[0]) * factor, at.y - (at.y - view[1]) * factor, width, height]);
  }, { passive: false });
  let drag = null;
  chart.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, view: [...view], moved: false };
  });
  chart.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const scale = view[2] / chart.getBoundingClientRect().width;
    const dx = (event.clientX - drag.x) * scale;
    const dy = (event.clientY - drag.y) * scale;
    if (Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) > 4) drag.moved = true;
    if (drag.moved) setView([drag.view[0] - dx, drag.view[1] - dy, drag.view[2], drag.view[3]]);
  });
  chart.addEventListener("pointerleave", () => { drag = null; });
  chart.addEventListener("pointerup", async (event) => {
    const click = drag && !drag.moved;
    drag = null;
    if (click && event.target.tagName !== "circle") {
      const at = toMap(event);
      await showPoint(at.x * km, -at.y * km, null);
    }
  });
  document.getElementById("zoom-reset").addEventListener("click", () => setView([...full]));

  // Past the overview's resolution, the part in view in full detail (the overview stays
  // under it, so the map never goes blank while it comes).
  const overviewPixelKm = map.overview_pixel_m / km;
  const sharpest = map.overview_pixel_m <= map.pixel_m;  // the overview is the raster itself
  let detailTimer = null;
  let detailAsked = 0;
  function scheduleDetail() {
    clearTimeout(detailTimer);
    detailTimer = setTimeout(loadDetail, 250);
  }
  async function detailPicture(layer, group, asked) {
    const window = { x_min_m: view[0] * km, x_max_m: (view[0] + view[2]) * km,
      y_min_m: -(view[1] + view[3]) * km, y_max_m: -view[1] * km };
    const route = layer === "imagery" ? "/api/plan/imagery.png" : `/api/plan/layers/${layer}.png`;
    const answer = await fetch(`${route}?${new URLSearchParams(window)}`);
    if (!answer.ok || asked !== detailAsked) return;
    const extent = answer.headers.get("X-Extent-M").split(",").map(Number);
    const url = URL.createObjectURL(await answer.blob());
    if (asked !== detailAsked) return;
    clear(group);
    const image = picture(group, url, extent, `${layer}-detail`);
    image.addEventListener("load", () => URL.revokeObjectURL(url));
  }
  async function loadDetail() {
    const asked = ++detailAsked;
    const screenPixelKm = view[2] / chart.getBoundingClientRect().width;
    clear(baseDetail);
    clear(overlayDetail);
    clear(imageryDetail);
    const wanted = [];
    const imageryPixelKm = map.imagery.overview_pixel_m / km;
    if (showImagery.checked && map.imagery.overview_pixel_m > map.imagery.pixel_m &&
        screenPixelKm < imageryPixelKm / 1.5) {
      wanted.push(detailPicture("imagery", imageryDetail, asked));
    }
    if (!sharpest && screenPixelKm < overviewPixelKm / 1.5) {  // else sharp enough as it is
      wanted.push(detailPicture("terrain", baseDetail, asked));
      if (overlay) wanted.push(detailPicture(overlay.dataset.layer, overlayDetail, asked));
    }
    await Promise.all(wanted);
  }

  // Layers: a radio button each, the legend and the opacity.
  const chooser = document.getElementById("layers");
  const legend = document.getElementById("legend");
  const opacity = document.getElementById("opacity");
  function choose(layer) {
    if (overlay) overlay.remove();
    overlay = null;
    if (layer.name !== "terrain") {
      overlay = picture(overlayGroup, `/api/plan/layers/${layer.name}.png`, map.extent_m, layer.name);
      overlayGroup.insertBefore(overlay, overlayDetail);
    }
    scheduleDetail();
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
  opacity.addEventListener("input", () => { overlayGroup.style.opacity = opacity.value / 100; });
  overlayGroup.style.opacity = opacity.value / 100;
  // The imagery: on, the terrain over it is translucent; off, the terrain is opaque.
  const showImagery = document.getElementById("show-imagery");
  const TERRAIN_OVER_IMAGERY = 0.4;
  function showOrHideImagery() {
    imageryGroup.style.display = showImagery.checked ? "" : "none";
    terrainGroup.style.opacity = showImagery.checked ? TERRAIN_OVER_IMAGERY : 1;
    document.getElementById("imagery-caption").textContent = showImagery.checked
      ? `Under the terrain (at ${TERRAIN_OVER_IMAGERY * 100} % opacity): the ${map.imagery.caption}.`
      : "";
    scheduleDetail();
  }
  showImagery.addEventListener("change", showOrHideImagery);
  // Real imagery under a made-up terrain would show craters that are not in it: off.
  if (map.synthetic) showImagery.checked = false;
  showOrHideImagery();
  document.getElementById("show-graticule").addEventListener("change", (e) => {
    graticule.style.display = e.target.checked ? "" : "none";
  });
  document.getElementById("show-features").addEventListener("change", (e) => {
    features.style.display = e.target.checked ? "" : "none";
  });
  document.getElementById("map-note").textContent =
    `${map.terrain_caption} ${map.lighting_caption || ""} ` +
    `${((xMax - xMin) / km).toFixed(1)} × ${((yMax - yMin) / km).toFixed(1)} km, ` +
    `${map.pixel_m} m pixels, south polar stereographic; ${plan.summary.plan}, written ${plan.summary.written_utc}. ` +
    "Wheel: zoom; drag: pan.";
  setView([...full]);

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
