// The campaign: its missions over the years, the station's capabilities per year, the
// milestones, and what-if changes computed in the background.
"use strict";

(async () => {
  const { api, svg, clear, scale, ticks, fmt } = ilrs;
  const plan = await api("/api/plan");
  ilrs.planWarning(plan);
  if (!plan.summary) {
    ilrs.showError(`No plan has been computed in ${plan.folder} yet: run it on the Plan page.`);
    return;
  }
  const campaign = await api("/api/campaign");
  document.getElementById("campaign-title").textContent = campaign.name;
  const milestoneYears = campaign.milestones.map((m) => [m.milestone, ilrs.time(m.by_utc)]);

  function gantt(missions) {
    const chart = document.getElementById("gantt");
    clear(chart);
    const [left, right, top] = [150, 985, 20];
    const rowHeight = Math.min(30, 300 / missions.length);
    const [earliest, latest] = ilrs.extent(missions.map((m) => ilrs.time(m.launch_utc)));
    const first = new Date(earliest).getUTCFullYear();
    const last = Math.max(new Date(latest).getUTCFullYear() + 1,
      ...milestoneYears.map(([, t]) => new Date(t).getUTCFullYear() + 1));
    const x = scale(Date.UTC(first, 0, 1), Date.UTC(last, 0, 1), left, right);
    const bottom = top + rowHeight * missions.length;
    chart.setAttribute("viewBox", `0 0 1000 ${bottom + 40}`);
    for (let year = first; year <= last; year++) {
      svg("line", { x1: x(Date.UTC(year, 0, 1)), x2: x(Date.UTC(year, 0, 1)), y1: top, y2: bottom, class: "grid" }, chart);
      if ((year - first) % 2 === 0) {
        svg("text", { x: x(Date.UTC(year, 0, 1)), y: bottom + 16, "text-anchor": "middle" }, chart, year);
      }
    }
    for (const [name, when] of milestoneYears) {
      svg("line", { x1: x(when), x2: x(when), y1: top - 10, y2: bottom, stroke: "#b3261e", "stroke-dasharray": "4 3" }, chart);
      svg("text", { x: x(when) - 4, y: top - 4, "text-anchor": "end", fill: "#b3261e" }, chart, name);
    }
    const colours = { planned: "#5877b8", approved: "#2f6fde", launched: "#1b7f3b", landed: "#1b7f3b", cancelled: "#b9bcc4" };
    missions.forEach((m, i) => {
      const yMid = top + rowHeight * (i + 0.5);
      const row = svg("g", { "data-mission": m.name, "data-launch": m.launch_utc, "data-status": m.status,
        "data-cancelled-because": m.cancelled_because || "" }, chart);
      svg("text", { x: left - 8, y: yMid + 4, "text-anchor": "end" }, row, m.name);
      const start = ilrs.time(m.launch_utc);
      const landing = ilrs.time(m.landing_utc);
      const windowEnd = start + m.window_days * 86400e3;
      svg("rect", { x: x(start), y: yMid - rowHeight * 0.3, width: Math.max(3, x(windowEnd) - x(start)),
        height: rowHeight * 0.6, fill: colours[m.status] || "#5877b8", "fill-opacity": m.status === "cancelled" ? 0.5 : 0.9 }, row);
      if (m.status !== "cancelled" && m.joins_station) {  // on the surface from its landing on
        svg("line", { x1: x(landing), x2: right, y1: yMid, y2: yMid, stroke: "#f2a900", "stroke-width": 2,
          "stroke-opacity": 0.6 }, row);
      }
      // A what-if's cancellation says why on the row itself (what it depended on).
      const because = m.cancelled_because ? ` (cancelled: ${m.cancelled_because})` : "";
      svg("text", { x: x(windowEnd) + 8, y: yMid - 6, "font-size": 10, fill: "#5b6475" }, row,
        m.launch_utc.slice(0, 10) + because);
      if (m.status !== "cancelled") {
        svg("circle", { cx: x(landing), cy: yMid, r: 4, fill: m.joins_station ? "#f2a900" : "#fff", stroke: "#000" }, row);
      }
      svg("title", {}, row, `${m.name}: ${m.purpose}\nlaunch window opens ${m.launch_utc} (${m.window_days} d), ` +
        `lands ${m.landing_utc}; ${m.status}${because}${m.depends_on.length ? `; after ${m.depends_on.join(", ")}` : ""}`);
    });
    svg("text", { x: left, y: bottom + 34 }, chart,
      "bars: launch windows (by status); dots: landing; gold lines: on the station from landing; red: milestones");
  }

  // Capabilities per year: one quantity at a time, as planned (and after a what-if).
  const quantities = Object.keys(campaign.timeline[0]).filter((k) => k !== "year");
  const select = document.getElementById("capability");
  // "continuous_power_w" -> "continuous power [W]"
  const UNITS = { w: "W", wh: "Wh", bytes: "bytes", kg: "kg", h: "h" };
  const named = (q) => {
    const parts = q.split("_");
    const unit = UNITS[parts[parts.length - 1]];
    return unit ? `${parts.slice(0, -1).join(" ")} [${unit}]` : parts.join(" ");
  };
  for (const q of quantities) select.add(new Option(named(q), q));
  select.value = quantities.includes("continuous_power_w") ? "continuous_power_w" : quantities[0];
  let changedYears = null;
  function capabilities() {
    const chart = document.getElementById("capabilities");
    clear(chart);
    const q = select.value;
    const [left, right, top, bottom] = [80, 985, 15, 220];
    const years = campaign.timeline.map((r) => Number(r.year));
    const before = campaign.timeline.map((r) => Number(r[q]));
    const after = changedYears ? changedYears.map((r) => Number(r[`${q}_after`])) : null;
    const high = Math.max(1e-9, ilrs.extent(before, after || [])[1]) * 1.08;
    const x = scale(years[0], years[years.length - 1], left, right);
    const y = scale(0, high, bottom, top);
    for (const v of ticks(0, high, 5)) {
      svg("line", { x1: left, x2: right, y1: y(v), y2: y(v), class: "grid" }, chart);
      svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end" }, chart, fmt(v, 1));
    }
    years.forEach((year, i) => {
      if (i % 2 === 0) svg("text", { x: x(year), y: bottom + 16, "text-anchor": "middle" }, chart, year);
    });
    const line = (values, colour, id, dash) => svg("polyline", { id, fill: "none", stroke: colour, "stroke-width": 2,
      "stroke-dasharray": dash, points: values.map((v, i) => `${x(years[i])},${y(v)}`).join(" ") }, chart);
    line(before, "#2f6fde", "as-planned", "");
    if (after) line(after, "#b3261e", "after-changes", "6 4");
    svg("text", { x: left, y: bottom + 34 }, chart,
      `${named(q)} per year: as planned (blue)${after ? ", with the changes (red, dashed)" : ""}`);
  }
  select.addEventListener("change", capabilities);

  function milestones(rows, compared) {
    const box = document.getElementById("milestones");
    clear(box);
    const verdict = (passed) => {
      const span = document.createElement("span");
      span.className = passed ? "passed" : "failed";
      span.textContent = passed ? "met" : "not met";
      return span;
    };
    if (!compared) {
      box.appendChild(ilrs.table(
        [["milestone", "milestone"], ["by_utc", "by"], [(r) => verdict(r.passed), "as planned"],
          [(r) => r.reasons.join("; ") || "–", "why not"]],
        rows, (r) => ({ "data-milestone": r.milestone })));
      return;
    }
    box.appendChild(ilrs.table(
      [["milestone", "milestone"], [(r) => verdict(r.passed_before), "as planned"],
        [(r) => verdict(r.passed_after), "with the changes"], [(r) => r.reasons_after.join("; ") || "–", "why not"]],
      rows, (r) => ({ "data-milestone": r.milestone, "data-changed": String(r.changed) })));
  }
  function findings(rows) {
    const list = document.getElementById("findings");
    clear(list);
    for (const f of rows) {
      const item = document.createElement("li");
      item.textContent = `${f.severity}: ${f.message}`;
      list.appendChild(item);
    }
    if (!rows.length) list.innerHTML = "<li>none</li>";
  }

  gantt(campaign.missions);
  capabilities();
  milestones(campaign.milestones, false);
  findings(campaign.findings);

  const form = document.getElementById("whatif");
  for (const m of campaign.missions) form.elements.mission.add(new Option(m.name, m.name));
  form.elements.mission.value = campaign.missions.find((m) => m.name === "ILRS-1") ? "ILRS-1" : campaign.missions[0].name;
  // Changes are gathered in a list ("Add to the changes"); Compute sends the list, or the
  // change in the form when the list is empty.
  const gathered = [];
  const list = document.getElementById("whatif-changes");
  function formChange() {
    const values = Object.fromEntries(new FormData(form));
    const change = { kind: values.kind, mission: values.mission };
    if (values.kind === "delay") change.days = values.days === "" ? null : Number(values.days);
    if (values.kind === "move") change.launch_utc = values.launch_utc;
    return change;
  }
  const describe = (c) => (c.kind === "delay" ? `delay ${c.mission} by ${c.days} days`
    : c.kind === "move" ? `move ${c.mission} to launch ${c.launch_utc}` : `${c.kind === "keep" ? "keep" : "drop"} ${c.mission}`);
  function showList() {
    clear(list);
    gathered.forEach((change, i) => {
      const item = document.createElement("li");
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "remove";
      remove.addEventListener("click", () => { gathered.splice(i, 1); showList(); });
      item.append(`${describe(change)} `, remove);
      list.appendChild(item);
    });
  }
  document.getElementById("whatif-add").addEventListener("click", () => {
    gathered.push(formChange());
    showList();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const changes = gathered.length ? [...gathered] : [formChange()];
    ilrs.runJob("/api/campaign/whatif", { changes }, (result) => {
      const box = document.getElementById("whatif-result");
      box.innerHTML = "";
      const heading = document.createElement("p");
      const changed = result.milestones.filter((m) => m.changed).map((m) => m.milestone);
      heading.textContent = `${result.changes.join("; ")}: ${changed.length ? `changes ${changed.join(", ")}` : "no milestone changes"}.`;
      heading.id = "whatif-summary";
      box.appendChild(heading);
      milestones(result.milestones, true);
      findings(result.findings);
      gantt(result.missions);
      changedYears = result.years;
      capabilities();
    });
  });
})().catch((error) => ilrs.showError(error.message));
