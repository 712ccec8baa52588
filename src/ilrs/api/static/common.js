// What every page uses: calling the API (its messages shown as they come), background jobs
// with their progress, and a few SVG helpers.
"use strict";

const ilrs = (() => {
  const TOKEN_KEY = "ilrs-registry-token";

  // A token handed over in the address (?token=...), as `ilrs serve` prints it, is kept in
  // this browser and taken out of the address.
  const url = new URL(window.location.href);
  if (url.searchParams.has("token")) {
    localStorage.setItem(TOKEN_KEY, url.searchParams.get("token"));
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  function token() { return localStorage.getItem(TOKEN_KEY) || ""; }
  function setToken(value) { localStorage.setItem(TOKEN_KEY, value.trim()); }

  // The message of an error answer: FastAPI's validation list as "field: message" lines.
  function detailText(detail) {
    if (Array.isArray(detail)) {
      return detail.map((d) => `${(d.loc || []).filter((p) => p !== "body").join(".")}: ${d.msg}`)
        .join("\n");
    }
    return typeof detail === "string" ? detail : JSON.stringify(detail);
  }

  async function api(path, options = {}) {
    const headers = Object.assign({}, options.headers || {});
    if (token()) headers.Authorization = `Bearer ${token()}`;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.json);
    }
    const answer = await fetch(path, Object.assign({}, options, { headers }));
    const text = await answer.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (_) { body = text; }
    if (!answer.ok) {
      const error = new Error(body && body.detail !== undefined ? detailText(body.detail) : `${answer.status}`);
      error.status = answer.status;
      throw error;
    }
    return body;
  }

  // The served plan and the folder's plan differ: say so on every page that shows it.
  function planWarning(plan) {
    const box = document.getElementById("warning");
    box.textContent = plan.warning || "";
    box.hidden = !plan.warning;
  }

  function showError(message) {
    const box = document.getElementById("error");
    box.textContent = message;
    box.hidden = !message;
  }

  // Start a job (POST) and follow it: its progress in the job bar, its result to `done`.
  async function runJob(path, body, done) {
    showError("");
    let job;
    try {
      job = await api(path, { method: "POST", json: body });
    } catch (error) {
      showError(error.message);
      return null;
    }
    const bar = document.getElementById("jobs");
    const line = document.createElement("div");
    line.className = "job";
    line.dataset.job = job.id;
    bar.appendChild(line);
    for (;;) {
      const last = job.lines && job.lines.length ? job.lines[job.lines.length - 1] : "";
      line.innerHTML = "";
      line.append(`${job.title}: ${job.state}${job.elapsed_s != null ? ` (${job.elapsed_s} s)` : ""} `);
      if (job.state === "queued" || job.state === "running") {
        const meter = document.createElement("progress");
        line.appendChild(meter);
        const cancel = document.createElement("button");
        cancel.type = "button";
        cancel.className = "cancel";
        cancel.textContent = "Cancel";
        const id = job.id;
        cancel.addEventListener("click", () => {
          cancel.disabled = true;
          api(`/api/jobs/${id}`, { method: "DELETE" }).catch((error) => showError(error.message));
        });
        line.append(" ", cancel);
        line.append(` ${last}`);
        await new Promise((resolve) => setTimeout(resolve, 400));
        try {
          job = await api(`/api/jobs/${job.id}`);
        } catch (error) {  // the server went away, or restarted and forgot the job
          showError(`${job.title}: ${error.message}`);
          line.remove();
          return null;
        }
        continue;
      }
      break;
    }
    if (job.state === "failed" || job.state === "cancelled") {
      showError(job.state === "cancelled" ? `${job.title}: cancelled` : job.error);
      line.remove();
      return null;
    }
    setTimeout(() => line.remove(), 1500);
    done(job.result);
    return job.result;
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attributes = {}, parent = null, text = null) {
    const element = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (text !== null) element.textContent = text;
    if (parent) parent.appendChild(element);
    return element;
  }
  function clear(element) { while (element.firstChild) element.removeChild(element.firstChild); }
  function scale(d0, d1, r0, r1) {
    const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
    return (v) => r0 + (v - d0) * k;
  }
  // About `count` round tick values between lo and hi.
  function ticks(lo, hi, count = 6) {
    const span = hi - lo || 1;
    const raw = span / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(+v.toFixed(10));
    return out;
  }
  function fmt(value, digits = 3) {
    if (value === null || value === undefined) return "–";
    if (typeof value !== "number") return String(value);
    return Math.abs(value) >= 1e4 ? value.toLocaleString("en", { maximumFractionDigits: 0 })
      : value.toLocaleString("en", { maximumFractionDigits: digits });
  }
  function table(columns, rows, attributes = () => ({})) {
    const element = document.createElement("table");
    const head = element.createTHead().insertRow();
    for (const [, title] of columns) {
      const th = document.createElement("th");
      th.textContent = title;
      head.appendChild(th);
    }
    const body = element.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const [key, value] of Object.entries(attributes(row))) tr.setAttribute(key, value);
      for (const [key] of columns) {
        const cell = tr.insertCell();
        const value = typeof key === "function" ? key(row) : row[key];
        if (value instanceof Node) cell.appendChild(value); else cell.textContent = fmt(value);
      }
    }
    return element;
  }
  const time = (iso) => Date.parse(iso);

  // Smallest and largest of long arrays (spreading them into Math.min overflows the stack).
  function extent(...arrays) {
    let low = Infinity;
    let high = -Infinity;
    for (const values of arrays) {
      for (const v of values) {
        if (v < low) low = v;
        if (v > high) high = v;
      }
    }
    return [low, high];
  }

  return { api, runJob, showError, planWarning, extent, token, setToken, svg, clear, scale, ticks, fmt, table, time };
})();
