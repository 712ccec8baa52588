// A site: its horizon panorama with the Sun's and the Earth's tracks, a time slider, the
// spells of light and contact, and the station's power and state of charge.
"use strict";

(async () => {
  const { api, svg, clear, scale, ticks, fmt } = ilrs;
  const form = document.getElementById("study");
  const params = new URLSearchParams(window.location.search);
  const plan = await api("/api/plan");
  ilrs.planWarning(plan);
  // The label a link gave (a named site) holds while its coordinates are not changed.
  const given = { label: params.get("label"), lat: params.get("lat"), lon: params.get("lon") };

  for (const name of ["height", "start", "end", "step"]) {
    if (params.has(name)) form.elements[name === "height" ? "height_m" : name].value = params.get(name);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    const body = {
      lat_deg: Number(values.lat_deg), lon_deg: Number(values.lon_deg),
      height_m: Number(values.height_m || 2), start: values.start, end: values.end, step: values.step,
      label: given.label && values.lat_deg === given.lat && values.lon_deg === given.lon ? given.label : null,
    };
    const query = new URLSearchParams({ lat: values.lat_deg, lon: values.lon_deg, height: body.height_m,
      start: body.start, end: body.end, step: body.step });
    if (body.label) query.set("label", body.label);
    history.replaceState(null, "", `/site?${query}`);
    ilrs.runJob("/api/study", body, draw);
  });
  document.getElementById("plan-site").addEventListener("click", () => {
    history.replaceState(null, "", "/site");
    showPlanSite();
  });

  async function showPlanSite() {
    if (!plan.summary) {
      ilrs.showError(`No plan has been computed in ${plan.folder} yet: run it on the Plan page.`);
      return;
    }
    const site = await api("/api/plan/site");
    for (const name of ["lat_deg", "lon_deg", "start", "end"]) form.elements[name].value = site.summary[name];
    form.elements.step.value = `${site.summary.step_s}s`;
    form.elements.height_m.value = site.summary.height_above_ground_m;
    given.label = site.summary.site;
    given.lat = form.elements.lat_deg.value;
    given.lon = form.elements.lon_deg.value;
    draw(site);
  }
  if (params.has("lat") && params.has("lon")) {
    form.elements.lat_deg.value = params.get("lat");
    form.elements.lon_deg.value = params.get("lon");
    form.requestSubmit();
  } else {
    await showPlanSite();
  }

  function draw(site) {
    const s = site.summary;
    document.getElementById("site-title").textContent =
      `${s.site} (${fmt(s.lat_deg, 4)}°, ${fmt(s.lon_deg, 4)}°E), ${s.start} – ${s.end}`;
    const figures = document.getElementById("site-summary");
    clear(figures);
    for (const [key, title, unit] of [
      ["sunlit_fraction", "sunlit (disk share)", ""], ["sun_any_fraction", "any Sun", ""],
      ["earth_visible_fraction", "Earth visible", ""], ["longest_darkness_h", "longest darkness", " h"],
      ["longest_earth_loss_h", "longest Earth loss", " h"],
    ]) {
      if (!(key in s)) continue;
      const box = document.createElement("div");
      const value = document.createElement("b");
      value.textContent = `${fmt(s[key])}${unit}`;
      box.append(value, title);
      figures.appendChild(box);
    }
    const moveTo = panorama(site);
    const markTime = power(site);
    spells(site);
    const slider = document.getElementById("time");
    const tracks = site.tracks;
    slider.max = tracks ? tracks.time_utc.length - 1 : 0;
    slider.value = 0;
    slider.oninput = () => {
      const i = Number(slider.value);
      moveTo(i);
      markTime(tracks.time_utc[i]);
    };
    if (tracks) slider.oninput();
  }

  // The panorama: azimuth across, elevation up; the terrain's horizon filled.
  function panorama(site) {
    const chart = document.getElementById("panorama");
    clear(chart);
    const [left, right, top, bottom] = [50, 985, 15, 295];
    const horizon = site.horizon;
    const tracks = site.tracks;
    let [low, high] = ilrs.extent(horizon.elevation_deg);
    low = Math.min(-1, low);
    high = Math.max(2, high);
    if (tracks) {
      const [trackLow, trackHigh] = ilrs.extent(tracks.sun_elevation_deg, tracks.earth_elevation_deg);
      high = Math.max(high, trackHigh) + 0.5;
      low = Math.min(low, Math.max(-3, trackLow));
    }
    const x = scale(0, 360, left, right);
    const y = scale(low, high, bottom, top);
    for (const t of ticks(low, high, 6)) {
      svg("line", { x1: left, x2: right, y1: y(t), y2: y(t), class: "grid" }, chart);
      svg("text", { x: left - 6, y: y(t) + 4, "text-anchor": "end" }, chart, `${t}°`);
    }
    for (const [az, name] of [[0, "N"], [90, "E"], [180, "S"], [270, "W"], [360, "N"]]) {
      svg("line", { x1: x(az), x2: x(az), y1: top, y2: bottom, class: "grid" }, chart);
      svg("text", { x: x(az), y: bottom + 16, "text-anchor": "middle" }, chart, `${name} ${az}°`);
    }
    const outline = horizon.azimuth_deg.map((az, i) => `${x(az)},${y(horizon.elevation_deg[i])}`);
    svg("polygon", { points: `${x(0)},${bottom} ${outline.join(" ")} ${x(360)},${bottom}`,
      fill: "#8b6f47", "fill-opacity": 0.85, stroke: "#5a4428", id: "horizon-line" }, chart);
    svg("text", { x: left, y: bottom + 32 }, chart,
      "azimuth from local north; terrain horizon (brown), Sun (gold where any of it shows), Earth (blue)");
    if (!tracks) return () => {};
    const count = tracks.time_utc.length;
    const every = Math.max(1, Math.ceil(count / 2500));
    const sunDots = svg("g", { id: "sun-track" }, chart);
    const earthDots = svg("g", { id: "earth-track" }, chart);
    for (let i = 0; i < count; i += every) {
      svg("circle", { cx: x(tracks.sun_azimuth_deg[i]), cy: y(tracks.sun_elevation_deg[i]), r: 1.4,
        fill: tracks.sun_visible_fraction[i] > 0 ? "#f2a900" : "#b9bcc4" }, sunDots);
      svg("circle", { cx: x(tracks.earth_azimuth_deg[i]), cy: y(tracks.earth_elevation_deg[i]), r: 1.2,
        fill: tracks.earth_visible_fraction[i] > 0 ? "#2f6fde" : "#b9c8e6" }, earthDots);
    }
    const sun = svg("circle", { r: 7, fill: "#f2a900", stroke: "#000", id: "sun-now" }, chart);
    const earth = svg("circle", { r: 6, fill: "#2f6fde", stroke: "#000", id: "earth-now" }, chart);
    const label = document.getElementById("time-label");
    return (i) => {
      sun.setAttribute("cx", x(tracks.sun_azimuth_deg[i]));
      sun.setAttribute("cy", y(tracks.sun_elevation_deg[i]));
      earth.setAttribute("cx", x(tracks.earth_azimuth_deg[i]));
      earth.setAttribute("cy", y(tracks.earth_elevation_deg[i]));
      const sunShare = tracks.sun_visible_fraction[i];
      const earthShare = tracks.earth_visible_fraction[i];
      label.textContent = `${tracks.time_utc[i]} · Sun az ${fmt(tracks.sun_azimuth_deg[i], 1)}°, ` +
        `el ${fmt(tracks.sun_elevation_deg[i], 2)}°, ${sunShare > 0 ? `${fmt(100 * sunShare, 0)} % of the disk lit` : "hidden"}` +
        ` · Earth az ${fmt(tracks.earth_azimuth_deg[i], 1)}°, el ${fmt(tracks.earth_elevation_deg[i], 2)}°, ` +
        `${earthShare > 0 ? "in view" : "hidden"}`;
    };
  }

  // Power generated and needed [W] and the state of charge (0-1, right axis) over time.
  function power(site) {
    const chart = document.getElementById("power");
    clear(chart);
    document.getElementById("power-caption").textContent = site.station_caption;
    const series = site.station;
    if (!series) {
      svg("text", { x: 20, y: 30 }, chart, "no station run for this site");
      return () => {};
    }
    const [left, right, top, bottom] = [70, 940, 15, 225];
    const t = series.time_utc.map(ilrs.time);
    const x = scale(t[0], t[t.length - 1], left, right);
    const high = Math.max(1, ilrs.extent(series.generated_w, series.demand_w)[1]) * 1.05;
    const y = scale(0, high, bottom, top);
    const ySoc = scale(0, 1, bottom, top);
    for (const v of ticks(0, high, 5)) {
      svg("line", { x1: left, x2: right, y1: y(v), y2: y(v), class: "grid" }, chart);
      svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end" }, chart, fmt(v, 0));
    }
    for (const v of [0, 0.5, 1]) svg("text", { x: right + 6, y: ySoc(v) + 4 }, chart, fmt(v));
    const span = t[t.length - 1] - t[0];
    for (let k = 0; k <= 5; k++) {
      const when = t[0] + (span * k) / 5;
      svg("text", { x: x(when), y: bottom + 16, "text-anchor": "middle" }, chart,
        new Date(when).toISOString().slice(0, 10));
    }
    const line = (values, yOf, colour, id) => svg("polyline", { id, fill: "none", stroke: colour,
      "stroke-width": 1.3, points: values.map((v, i) => `${x(t[i]).toFixed(1)},${yOf(v).toFixed(1)}`).join(" ") }, chart);
    line(series.generated_w, y, "#f2a900", "generated");
    line(series.demand_w, y, "#444", "demand");
    line(series.state_of_charge, ySoc, "#1b7f3b", "state-of-charge");
    svg("text", { x: left, y: bottom + 34 }, chart,
      "generated [W] (gold), demand [W] (grey), battery state of charge (green, right axis 0–1)");
    const now = svg("line", { y1: top, y2: bottom, stroke: "#b3261e", "stroke-dasharray": "3 3" }, chart);
    return (iso) => {
      const at = x(Math.min(Math.max(ilrs.time(iso), t[0]), t[t.length - 1]));
      now.setAttribute("x1", at);
      now.setAttribute("x2", at);
    };
  }

  function spells(site) {
    const box = document.getElementById("spells");
    clear(box);
    const shown = site.spells.slice(0, 300);
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = `${site.spells.length} spells${site.spells.length > shown.length ? ` (the first ${shown.length} shown)` : ""}`;
    box.append(note, ilrs.table(
      [["kind", "kind"], ["start", "start (UTC)"], ["end", "end (UTC)"], [(r) => Number(r.duration_h), "hours"]],
      shown,
    ));
  }
})().catch((error) => ilrs.showError(error.message));
