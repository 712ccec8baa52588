// The plan: what is being served, its file to edit, check and run in the background.
"use strict";

(async () => {
  const { api, fmt } = ilrs;
  const text = document.getElementById("plan-text");
  const errors = document.getElementById("plan-errors");

  async function summary() {
    const plan = await api("/api/plan");
    ilrs.planWarning(plan);
    const box = document.getElementById("plan-summary");
    box.innerHTML = "";
    const s = plan.summary;
    const rows = [
      ["plan", plan.name], ["file", plan.scenario_file], ["folder", plan.folder],
      ["written", s ? s.written_utc : "not yet run"],
    ];
    if (s) {
      rows.push(["site", `${s.site.site} (${fmt(s.site.lat_deg, 4)}°, ${fmt(s.site.lon_deg, 4)}°E), sunlit ${fmt(s.site.sunlit_fraction)}`]);
      rows.push(["milestones met", `${s.milestones_passed} of ${s.milestones}`]);
      rows.push(["steps computed / reused", `${s.steps_computed.join(", ") || "none"} / ${s.steps_reused.join(", ") || "none"}`]);
    }
    box.appendChild(ilrs.table([["0", "what"], ["1", ""]], rows.map((r) => ({ 0: r[0], 1: r[1] }))));
    if (s) {
      const link = document.createElement("p");
      link.innerHTML = '<a href="/api/plan/files/report.html">The report (report.html) →</a>';
      box.appendChild(link);
    }
    return plan;
  }

  const plan = await summary();
  text.value = plan.scenario_text;
  validation();

  async function validation() {
    const box = document.getElementById("validation");
    box.innerHTML = "";
    let rows;
    try {
      rows = await api("/api/plan/validation");
    } catch (error) {
      box.textContent = "Not in this plan's folder (run the plan again).";
      return;
    }
    // Tiny differences (1e-10 deg) are shown as such, not rounded to nought.
    const sig = (v) => (v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : fmt(v, 4));
    const columns = [["area", "model"], ["case", "case"], ["value", "value"], ["reference", "reference"],
      ["difference", "difference"], ["tolerance", "tolerance"], ["ok", "within"], ["source", "source"]];
    box.appendChild(ilrs.table(columns, rows.map((r) => ({
      area: r.area, case: r.case.replaceAll("_", " "), value: `${sig(r.model)} ${r.unit}`,
      reference: sig(r.reference), difference: sig(r.difference),
      tolerance: r.not_held ? `not held: ${r.not_held}` : sig(r.tolerance),
      ok: r.not_held ? "not held" : (r.ok ? "yes" : "NO"), source: r.source,
    }))));
  }

  document.getElementById("plan-check").addEventListener("click", async () => {
    errors.textContent = "";
    try {
      const answer = await api("/api/plan/check", { method: "POST", json: { text: text.value } });
      errors.className = "note";
      errors.textContent = `The plan file is good: ${answer.name}.`;
    } catch (error) {
      errors.className = "errors";
      errors.textContent = error.message;
    }
  });
  document.getElementById("plan-run").addEventListener("click", async () => {
    errors.textContent = "";
    errors.className = "errors";
    const result = await ilrs.runJob("/api/plan/run", { text: text.value }, () => {});
    if (result === null) {
      errors.textContent = document.getElementById("error").textContent;
      ilrs.showError("");
      return;
    }
    errors.className = "note";
    errors.textContent = `Done: ${result.report} (computed: ${result.steps_computed.join(", ") || "none"}).`;
    await summary();
  });
})().catch((error) => ilrs.showError(error.message));
