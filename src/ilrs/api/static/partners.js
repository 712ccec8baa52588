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
    const edit = (record) => {
      const buttons = document.createElement("span");
      for (const [text, action] of [["Edit", () => buildForm(record)], ["History", () => history(record)]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = text;
        button.dataset[text.toLowerCase()] = record.id;
        button.style.marginRight = ".3rem";
        button.addEventListener("click", action);
        buttons.appendChild(button);
      }
      return buttons;
    };
    box.appendChild(ilrs.table(
      [["id", "id"], ...fields.map((f) => [(r) => {
        const v = r[f];
        return Array.isArray(v) ? v.join(", ") : v;
      }, f.replaceAll("_", " ")]), [edit, ""]],
      page.items, (r) => ({ "data-id": r.id })));
  }

  // Every change of a record: who, when, and which fields went from what to what.
  async function history(record) {
    const table = tableSelect.value;
    const box = document.getElementById("history");
    clear(box);
    const entries = await api(`/api/${table}/${record.id}/history`);
    const title = document.createElement("h3");
    title.textContent = `History of ${table.replaceAll("_", " ")} #${record.id}: ${record.name || record.title || ""}`;
    const changed = (entry) => {
      const before = entry.before || {};
      const after = entry.after || {};
      const keys = Object.keys(after).filter((k) => k !== "version" && JSON.stringify(before[k]) !== JSON.stringify(after[k]));
      return keys.map((k) => `${k}: ${shown(before[k]) || "–"} → ${shown(after[k]) || "–"}`).join("; ") || "–";
    };
    box.append(title, ilrs.table(
      [["at", "when (UTC)"], ["actor", "who"], ["action", "what"], [changed, "changes"]],
      entries, (entry) => ({ "data-action": entry.action })));
  }

  // A field's text in the form, and back to the value the API takes ("" clears it).
  const shown = (value) => (value === null || value === undefined ? ""
    : Array.isArray(value) ? value.join(", ") : String(value));
  function parsed(field, raw) {
    if (raw === "") return null;
    if (field.kind === "orgs" || field.kind === "texts") {
      return raw.split(",").map((v) => v.trim()).filter(Boolean).map((v) => (field.kind === "orgs" ? Number(v) : v));
    }
    if (field.kind === "org" || field.kind === "number") return Number(raw);
    if (field.kind === "bool") return raw === "true";
    return raw;
  }

  // The form adds a record, or (given one) changes or deletes it at the version read: a
  // change made meanwhile by someone else is refused by the API (412), not overwritten.
  function buildForm(record = null) {
    const table = tableSelect.value;
    const form = document.getElementById("add-record");
    const result = document.getElementById("add-result");
    document.getElementById("form-title").textContent =
      record ? `Edit ${table.replaceAll("_", " ")} #${record.id} (version ${record.version})` : "Add a record";
    clear(form);
    result.textContent = "";
    for (const field of tables[table]) {
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
      if (record) input.value = shown(record[field.name]);
      form.append(label, input);
    }
    const buttons = document.createElement("div");
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.textContent = record ? "Save" : "Add";
    buttons.appendChild(submit);
    if (record) {
      for (const [text, action] of [["Delete", remove], ["Cancel", () => buildForm()]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = text;
        button.id = `form-${text.toLowerCase()}`;
        button.style.marginLeft = ".6rem";
        button.addEventListener("click", action);
        buttons.appendChild(button);
      }
    }
    form.appendChild(buttons);

    async function answer(call, done) {
      try {
        const written = await call();
        buildForm();  // back to adding (it clears the message: told after)
        result.className = "";
        result.textContent = done(written);
        await Promise.all([listRecords(), progress(), worldMap()]);
      } catch (error) {
        result.className = "errors";
        result.textContent = error.message;
        if (error.status === 412) await listRecords();  // the table shows what is there now
      }
    }
    async function remove() {
      await answer(
        () => api(`/api/${table}/${record.id}`, { method: "DELETE", headers: { "If-Match": `"${record.version}"` } }),
        () => `Deleted: ${table} #${record.id} (an admin can restore it).`,
      );
    }
    form.onsubmit = async (event) => {
      event.preventDefault();
      const body = {};
      for (const field of tables[table]) {
        const raw = form.elements[field.name].value.trim();
        if (record) {
          if (raw !== shown(record[field.name])) body[field.name] = parsed(field, raw);
        } else if (raw !== "") {
          body[field.name] = parsed(field, raw);
        }
      }
      if (record) {
        await answer(
          () => api(`/api/${table}/${record.id}`, { method: "PATCH", json: body, headers: { "If-Match": `"${record.version}"` } }),
          (written) => `Saved: ${table} #${written.id}, now version ${written.version}.`,
        );
      } else {
        await answer(
          () => api(`/api/${table}`, { method: "POST", json: body }),
          (written) => `Added: ${table} #${written.id}.`,
        );
      }
    };
  }

  await load();
})().catch((error) => ilrs.showError(error.message));
