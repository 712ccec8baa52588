"""The web application's pages: one shell (navigation, the job bar, the error box) around
each page's body; the drawing is done by the page's script from the JSON routes. Every
asset is served from this package: the pages work with no network."""

from __future__ import annotations

from html import escape

from ilrs import __version__

__all__ = ["api_docs", "page"]

NAV = [
    ("map", "/", "South-pole map"),
    ("site", "/site", "Site"),
    ("campaign", "/campaign", "Campaign"),
    ("partners", "/partners", "Partners"),
    ("plan", "/plan", "Plan"),
    ("docs", "/docs", "API"),
]

BODIES = {
    "map": """
<section class="toolbar">
  <fieldset id="layers"><legend>Layer</legend></fieldset>
  <label>Opacity <input id="opacity" type="range" min="0" max="100" value="85"></label>
  <label title="the LROC WAC mosaic under the terrain"><input id="show-imagery" type="checkbox"
    checked> imagery</label>
  <label><input id="show-graticule" type="checkbox" checked> graticule</label>
  <label><input id="show-features" type="checkbox" checked> named features</label>
  <button type="button" id="zoom-reset">Whole map</button>
  <span id="zoom-note" class="note"></span>
</section>
<div class="map-and-panel">
  <div id="map" class="map" aria-label="south polar stereographic map"></div>
  <aside id="panel" class="panel"><p>Click a site, or any point of the map.</p></aside>
</div>
<div id="legend" class="legend"></div>
<p id="map-note" class="note"></p>
<p id="imagery-caption" class="note"></p>
""",
    "site": """
<form id="study" class="toolbar">
  <label>Latitude [deg] <input name="lat_deg" type="number" step="any" required></label>
  <label>Longitude [deg E] <input name="lon_deg" type="number" step="any" required></label>
  <label>Height [m] <input name="height_m" type="number" step="any" value="2" min="0"></label>
  <label>Start (UTC) <input name="start" value="2026-01-01T00:00:00Z" size="20"></label>
  <label>End (UTC) <input name="end" value="2026-02-01T00:00:00Z" size="20"></label>
  <label>Step <input name="step" value="1h" size="6"></label>
  <button type="submit">Study this point</button>
  <button type="button" id="plan-site">The plan's site</button>
</form>
<h2 id="site-title">Site</h2>
<div id="site-summary" class="figures"></div>
<section>
  <h3>Horizon, the Sun and the Earth</h3>
  <svg id="panorama" class="chart" viewBox="0 0 1000 330" role="img"
       aria-label="horizon panorama"></svg>
  <label class="slider">Time <input id="time" type="range" min="0" max="0" value="0">
    <output id="time-label"></output></label>
</section>
<section>
  <h3>Power and state of charge: <span id="power-caption"></span></h3>
  <svg id="power" class="chart" viewBox="0 0 1000 260" role="img"
       aria-label="power and state of charge"></svg>
</section>
<section>
  <h3>Spells of light, darkness and Earth contact</h3>
  <div id="spells"></div>
</section>
""",
    "campaign": """
<h2 id="campaign-title">Campaign</h2>
<section>
  <h3>Missions</h3>
  <svg id="gantt" class="chart" viewBox="0 0 1000 360" role="img" aria-label="Gantt chart"></svg>
</section>
<section>
  <h3>Capabilities per year</h3>
  <label>Quantity <select id="capability"></select></label>
  <svg id="capabilities" class="chart" viewBox="0 0 1000 260" role="img"
       aria-label="capability curve"></svg>
</section>
<section>
  <h3>Milestones</h3>
  <div id="milestones"></div>
  <h3>Findings</h3>
  <ul id="findings"></ul>
</section>
<section>
  <h3>What if?</h3>
  <form id="whatif" class="toolbar">
    <label>Change <select name="kind">
      <option value="delay">delay</option><option value="move">move</option>
      <option value="drop">drop</option>
      <option value="keep" title="fly it though a mission it depends on is dropped">keep
      </option></select></label>
    <label>Mission <select name="mission"></select></label>
    <label>Days <input name="days" type="number" step="any" value="365"></label>
    <label>New launch (UTC) <input name="launch_utc" placeholder="2034-06-01" size="12"></label>
    <button type="button" id="whatif-add">Add to the changes</button>
    <button type="submit">Compute</button>
  </form>
  <ul id="whatif-changes"></ul>
  <div id="whatif-result"></div>
</section>
""",
    "partners": """
<section class="toolbar">
  <label>Registry token <input id="token" type="password" size="30"
    placeholder="ilrs_... (ilrs registry token add)"></label>
  <button type="button" id="token-save">Use</button>
  <span id="token-state" class="note"></span>
</section>
<section>
  <h3>Towards 50 countries, 500 institutions, 5,000 researchers</h3>
  <div id="progress" class="progress"></div>
</section>
<section>
  <h3>Countries taking part</h3>
  <svg id="worldmap" class="chart world" viewBox="-180 -90 360 180" role="img"
       aria-label="world map of participating countries"></svg>
  <p id="world-note" class="note"></p>
</section>
<section>
  <h3>Records</h3>
  <div class="toolbar">
    <label>Table <select id="table"></select></label>
    <label>Search <input id="search" type="search" placeholder="text in the name"></label>
    <span id="table-count" class="note"></span>
  </div>
  <div id="records"></div>
  <div id="history"></div>
</section>
<section>
  <h3 id="form-title">Add a record</h3>
  <form id="add-record" class="stacked"></form>
  <p id="add-result" role="status"></p>
</section>
""",
    "plan": """
<section>
  <h3>The plan being served</h3>
  <div id="plan-summary"></div>
</section>
<section>
  <h3>Models against their authorities</h3>
  <p class="note">Each model run on a case with a published answer, as the report and
  <code>ilrs validate</code> give it.</p>
  <div id="validation"></div>
</section>
<section>
  <h3>Plan file</h3>
  <p class="note">Paste or edit a plan file (YAML; see the README) and check it, or run it:
  its steps are reused from the cache where their inputs are unchanged. Files it names are
  taken from the folder of the plan being served.</p>
  <textarea id="plan-text" rows="18" cols="100" spellcheck="false"></textarea>
  <div class="toolbar">
    <button type="button" id="plan-check">Check</button>
    <button type="button" id="plan-run">Run</button>
  </div>
  <pre id="plan-errors" class="errors" role="alert"></pre>
  <div id="plan-progress"></div>
</section>
""",
}


def page(name: str, body: str | None = None) -> str:
    """A whole page: the shell with the named page's body (or ``body``) and its script
    (pages given their body have none)."""
    links = "".join(
        f'<a href="{href}"{" aria-current=page" if key == name else ""}>{title}</a>'
        for key, href, title in NAV
    )
    title = dict((key, title) for key, _, title in NAV)[name]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · ILRS Planner</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css">
</head><body data-page="{name}">
<header><strong>ILRS Planner</strong><nav>{links}</nav></header>
<main>
<div id="error" class="errors" role="alert" hidden></div>
<div id="warning" class="warning" role="status" hidden></div>
<div id="jobs" class="jobs" aria-live="polite"></div>
{BODIES[name] if body is None else body}
</main>
<footer>ILRS Planner {__version__} · ephemerides JPL DE421 · times UTC</footer>
<script src="/static/common.js"></script>
{"" if body is not None else f'<script src="/static/{name}.js"></script>'}
</body></html>
"""


def api_docs(openapi: dict) -> str:
    """The API's documentation drawn from its OpenAPI description: each route with its
    parameters, body and answers (``/openapi.json`` has it whole)."""
    parts = []
    for path, methods in openapi.get("paths", {}).items():
        for method, operation in methods.items():
            params = "".join(
                f"<li><code>{escape(p['name'])}</code> ({escape(p['in'])}"
                f"{', required' if p.get('required') else ''}): "
                f"{escape(_schema_text(p.get('schema', {})))}"
                f"{' — ' + escape(p['description']) if p.get('description') else ''}</li>"
                for p in operation.get("parameters", [])
            )
            body = operation.get("requestBody", {}).get("content", {})
            body_text = ", ".join(
                f"{escape(kind)}: {escape(_schema_text(spec.get('schema', {})))}"
                for kind, spec in body.items()
            )
            answers = ", ".join(
                f"{escape(code)} {escape(answer.get('description', ''))}"
                for code, answer in operation.get("responses", {}).items()
            )
            doc = escape(operation.get("description") or operation.get("summary") or "")
            parts.append(
                f'<article class="route"><h3><span class="method {method}">{method.upper()}'
                f"</span> <code>{escape(path)}</code></h3><p>{doc}</p>"
                + (f"<p>Parameters:</p><ul>{params}</ul>" if params else "")
                + (f"<p>Body: {body_text}</p>" if body_text else "")
                + f"<p>Answers: {answers}</p></article>"
            )
    schemas = openapi.get("components", {}).get("schemas", {})
    schema_parts = "".join(
        f"<dt><code>{escape(name)}</code></dt><dd>"
        + escape(
            ", ".join(
                f"{field}: {_schema_text(spec)}"
                for field, spec in schema.get("properties", {}).items()
            )
        )
        + "</dd>"
        for name, schema in schemas.items()
    )
    info = openapi.get("info", {})
    body = (
        f"<h2>{escape(info.get('title', ''))} {escape(info.get('version', ''))}</h2>"
        f"<p>{escape(info.get('description', ''))}</p>"
        '<p>The whole description: <a href="/openapi.json">/openapi.json</a>. The registry '
        "routes need <code>Authorization: Bearer &lt;token&gt;</code> (a viewer token reads, "
        "an editor token writes; <code>ilrs registry token add</code>).</p>"
        + "".join(parts)
        + f"<h2>Schemas</h2><dl>{schema_parts}</dl>"
    )
    return page("docs", body)


def _schema_text(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_schema_text(each) for each in schema["anyOf"])
    text = schema.get("type", "object")
    if text == "array":
        text = f"list of {_schema_text(schema.get('items', {}))}"
    if "enum" in schema:
        text += " (" + ", ".join(map(str, schema["enum"])) + ")"
    limits = [f"{k} {schema[k]}" for k in ("minimum", "maximum", "maxLength") if k in schema]
    return text + (f" [{', '.join(limits)}]" if limits else "")
