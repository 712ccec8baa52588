// The partners: progress to 50 / 500 / 5,000, the participating countries on a world map,
// the registry's tables with search, and a form that the API itself checks.
"use strict";

(async () => {
  const { api, svg, clear, fmt } = ilrs;
  const tokenInput = document.getElementById("token");
  const tokenState = document.getElementById("token-state");
  document.getElementById("token-save").addEventListener("click", () => {
    ilrs.setToken(tokenInput.value);
    tokenInput.value = "";
    load();
  });

  const tables = await api("/api/tables");
  const tableSelect = document.getElementById("table");
  for (const name of Object.keys(tables)) tableSelect.add(new Option(name.replaceAll("_", " "), name));
  const search = document.getElementById("search");
  let searchTimer = null;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(listRecords, 250);
  });
  tableSelect.addEventListener("change", () => { listRecords(); buildForm(); });

  async function load() {
    if (!ilrs.token()) {
      tokenState.textContent = "No registry token in this browser: enter one (ilrs registry token add), " +
        "or open the address ilrs serve printed.";
      return;
    }
    tokenState.textContent = "Token in use (kept in this browser).";
    try {
      await Promise.all([progress(), worldMap(), listRecords()]);
      ilrs.showError("");
    } catch (error) {
      ilrs.showError(error.message);
    }
    buildForm();
  }

  async function progress() {
    const answer = await api("/api/progress");
    const box = document.getElementById("progress");
    clear(box);
    for (const key of Object.keys(answer.targets)) {
      const row = document.createElement("div");
      row.className = "row";
      row.dataset.target = key;
      const name = document.createElement("span");
      name.textContent = key;
      const track = document.createElement("div");
      track.className = "track";
      const fill = document.createElement("div");
      fill.className = "fill";
      fill.style.width = `${Math.min(100, 100 * answer.fraction[key])}%`;
      track.appendChild(fill);
      const figure = document.createElement("span");
      figure.textContent = `${fmt(answer.counts[key])} of ${fmt(answer.targets[key])} (${fmt(100 * answer.fraction[key], 1)} %)`;
      row.append(name, track, figure);
      box.appendChild(row);
    }
  }

  async function worldMap() {
    const [countries, taking] = await Promise.all([api("/api/worldmap"), api("/api/participation")]);
    const how = Object.fromEntries(taking.map((p) => [p.country, p]));
    const chart = document.getElementById("worldmap");
    clear(chart);
    for (const country of countries) {
      const p = how[country.code];
      const shape = svg("path", { d: country.d, "data-country": country.code || "" }, chart);
      if (p) shape.classList.add(p.how === "direct" ? "direct" : "extension");
      if (country.code === "CN") shape.classList.add("host");
      svg("title", {}, shape, p ? `${country.name}: ${p.how}${p.since ? ` since ${p.since}` : ""}` : country.name);
    }
    const drawn = new Set(countries.map((c) => c.code));
    const missing = taking.filter((p) => !drawn.has(p.country)).map((p) => p.country);
    document.getElementById("world-note").textContent =
      `${taking.length} countries take part (dark red: China, the host; red: directly; pink: through ` +
      `an organisation). Boundaries: Natural Earth 1:110m.${missing.length ? ` Too small to draw at this scale: ${missing.join(", ")}.` : ""}`;
  }

  async function listRecords() {
    const table = tableSelect.value;
    const query = new URLSearchParams({ limit: 100 });
    if (search.value.trim()) query.set("q", search.value.trim());
    const page = await api(`/api/${table}?${query}`);
    document.getElementById("table-count").textContent =
      `${page.total} record${page.total === 1 ? "" : "s"}${page.total > page.items.length ? ` (first ${page.items.length})` : ""}`;
    const fields = tables[table].map((f) => f.name).filter((f) => !f.startsWith("source_"));
    const box = document.getElementById("records");
    clear(box);
    box.appendChild(ilrs.table(
      [["id", "id"], ...fields.map((f) => [(r) => {
        const v = r[f];
        return Array.isArray(v) ? v.join(", ") : v;
      }, f.replaceAll("_", " ")])],
      page.items, (r) => ({ "data-id": r.id })));
  }

  function buildForm() {
    const form = document.getElementById("add-record");
    clear(form);
    for (const field of tables[tableSelect.value]) {
      const label = document.createElement("label");
      label.textContent = `${field.name.replaceAll("_", " ")}${field.required ? " *" : ""}`;
      label.htmlFor = `field-${field.name}`;
      let input;
      if (field.choices.length) {
        input = document.createElement("select");
        if (!field.required) input.add(new Option("", ""));
        for (const choice of field.choices) input.add(new Option(choice, choice));
      } else if (field.kind === "bool") {
        input = document.createElement("select");
        for (const choice of ["", "true", "false"]) input.add(new Option(choice, choice));
      } else {
        input = document.createElement("input");
        input.placeholder = { country: "ISO code, e.g. PK", date: "YYYY-MM-DD", org: "organisation id",
          orgs: "organisation ids, comma-separated", texts: "comma-separated", url: "https://…" }[field.kind] || "";
      }
      input.name = field.name;
      input.id = `field-${field.name}`;
      form.append(label, input);
    }
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Add";
    form.appendChild(button);
    form.onsubmit = async (event) => {
      event.preventDefault();
      const result = document.getElementById("add-result");
      const body = {};
      for (const field of tables[tableSelect.value]) {
        const raw = form.elements[field.name].value.trim();
        if (raw === "") continue;
        if (field.kind === "orgs" || field.kind === "texts") {
          body[field.name] = raw.split(",").map((v) => v.trim()).filter(Boolean)
            .map((v) => (field.kind === "orgs" ? Number(v) : v));
        } else if (field.kind === "org" || field.kind === "number") {
          body[field.name] = Number(raw);
        } else if (field.kind === "bool") {
          body[field.name] = raw === "true";
        } else {
          body[field.name] = raw;
        }
      }
      try {
        const record = await api(`/api/${tableSelect.value}`, { method: "POST", json: body });
        result.className = "";
        result.textContent = `Added: ${tableSelect.value} #${record.id}.`;
        form.reset();
        await Promise.all([listRecords(), progress(), worldMap()]);
      } catch (error) {
        result.className = "errors";
        result.textContent = error.message;
      }
    };
  }

  await load();
})().catch((error) => ilrs.showError(error.message));
