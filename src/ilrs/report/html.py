"""The plan report as one self-contained HTML page: figures embedded (PNG as data URIs),
tables of the key figures, links to the data files beside it."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from ilrs.report.imagery import WAC_CAPTION

__all__ = ["render_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #1d2329; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccd; padding-bottom: 0.2em; }
.meta { color: #566; } figure { margin: 1em 0; } img { max-width: 100%; }
figcaption { color: #566; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #ccd; padding: 0.25em 0.6em; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.passed { color: #1b7a2d; } .failed { color: #b3261e; } .warning { color: #8a5a00; }
"""


def _image(path: Path, caption: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    alt = html.escape(caption)
    return (
        f'<figure><img alt="{alt}" src="data:image/png;base64,{data}">'
        f"<figcaption>{alt}</figcaption></figure>"
    )


def _cell(value) -> str:
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int | float):
        large = isinstance(value, int) or abs(value) >= 1000
        text = f"{value:,.0f}" if large else f"{value:.4g}"  # thousands apart, no exponent
        return f'<td class="number">{text}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(figures: dict, names: dict[str, str]) -> str:
    rows = [[label, figures[key]] for key, label in names.items() if key in figures]
    return _table(["figure", "value"], rows)


def render_report(
    *,
    title: str,
    meta: list[str],
    terrain_png: Path,
    terrain_text: str,
    lighting_png: Path | None,
    site: dict,
    horizon_png: Path,
    station: dict,
    station_place: str,
    station_png: Path,
    milestones: list[dict],
    findings: list[dict],
    campaign_place: str,
    campaign_pngs: list[tuple[Path, str]],
    data_files: list[str],
    validation: list[dict] | None = None,
) -> str:
    """The report's HTML text."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "".join(f'<p class="meta">{html.escape(line)}</p>' for line in meta),
        "<h2>Terrain</h2>",
        f"<p>{html.escape(terrain_text)}</p>",
        _image(
            terrain_png,
            "The plan's terrain around the south pole (heights as colour and contours) over "
            f"the {WAC_CAPTION}, with the site",
        ),
        _image(
            lighting_png,
            "The whole terrain's lighting over the site's period, seen from "
            f"{site['height_above_ground_m']:g} m above the ground as at the site "
            "(illumination.tif, earth.tif, psr.tif)",
        )
        if lighting_png is not None
        else "",
        f"<h2>Site: {html.escape(site['site'])}</h2>",
        f"<p>{site['lat_deg']:.4f}°, {site['lon_deg']:.4f}°, "
        f"{site['height_above_ground_m']:g} m above the ground; {html.escape(site['start'])}"
        f" to {html.escape(site['end'])} every {site['step_s'] / 3600:g} h; on "
        f"{html.escape(site.get('terrain', site.get('horizon', '')))}.</p>",
        _site_caveats(site),
        _pairs(
            site,
            {
                "sunlit_fraction": "sunlit fraction (visible share of the Sun's disk)",
                "sun_any_fraction": "some of the Sun visible",
                "longest_darkness_h": "longest darkness [h]",
                "earth_visible_fraction": "Earth's centre visible",
                "longest_earth_loss_h": "longest Earth loss [h]",
                "contact_fraction": "contact with a ground station",
                "longest_contact_gap_h": "longest contact gap [h]",
            },
        ),
        _table(
            ["year", "sunlit", "longest darkness [h]", "Earth visible"],
            [
                [
                    row["year"],
                    row["sunlit_fraction"],
                    row["longest_darkness_h"],
                    row["earth_visible_fraction"],
                ]
                for row in site.get("per_year", [])
            ],
        ),
        _image(horizon_png, "The site's horizon with the Sun's and the Earth's tracks"),
        "<h2>Station</h2>",
        f"<p>{html.escape(station_place)}</p>",
        _station_tables(station),
        _image(station_png, "The station over its period: power, storage, data"),
        "<h2>Campaign</h2>",
        f"<p>{html.escape(campaign_place)}</p>",
        _table(
            ["milestone", "by", "judged", "why not"],
            [
                [
                    m["milestone"],
                    m["by_utc"][:10],
                    "passed" if m["passed"] else "failed",
                    "; ".join(m.get("reasons", [])),
                ]
                for m in milestones
            ],
        ),
        _findings(findings),
        "".join(_image(path, caption) for path, caption in campaign_pngs),
        _validation(validation or []),
        "<h2>Data</h2><ul>",
        "".join(
            f'<li><a href="{html.escape(name)}">{html.escape(name)}</a></li>' for name in data_files
        ),
        "</ul></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _validation(rows: list[dict]) -> str:
    """The models beside their authorities (validation.json, ``ilrs validate``)."""
    if not rows:
        return ""
    off = sum(row["ok"] is False for row in rows)
    shown = sum(bool(row.get("not_held")) for row in rows)
    verdict = "all held within their tolerances" if not off else f"{off} off their tolerance"
    if shown:
        verdict += f"; {shown} shown but not held, each saying why"
    return (
        "<h2>Models against their authorities</h2>"
        f"<p>Each model run on a case with a published answer ({len(rows)} cases, "
        f"{verdict}; <code>ilrs validate</code> prints the same table).</p>"
        + _table(
            ["model", "case", "value", "reference", "difference", "tolerance", "source"],
            [
                [
                    row["area"],
                    row["case"].replace("_", " "),
                    f"{row['model']:.5g} {row['unit']}",
                    f"{row['reference']:.5g}",
                    f"{row['difference']:+.3g}",
                    f"{row['tolerance']:.3g}"
                    if not row.get("not_held")
                    else f"not held: {row['not_held']}",
                    row["source"],
                ]
                for row in rows
            ],
        )
    )


def _site_caveats(site: dict) -> str:
    """What the site's figures stand on, said where they are read: a truncated horizon,
    their spread over a coarse pixel, and the figures on the site's real horizon."""
    parts = []
    if site.get("horizon_note"):
        parts.append(f'<p class="warning">{html.escape(site["horizon_note"])}.</p>')
    spread = site.get("spread")
    if spread:
        low, high = spread["sunlit_fraction"]
        parts.append(
            f'<p class="warning">Coarse terrain: {html.escape(spread["why"])}. Sunlit '
            f"fraction {low:.3f} to {high:.3f}; longest darkness "
            f"{spread['longest_darkness_h'][0]:.0f} to {spread['longest_darkness_h'][1]:.0f} h."
            " Finer real terrain: <code>ilrs terrain fetch --site NAME</code>.</p>"
        )
    pixel = site.get("map_pixel")
    if pixel:
        parts.append(
            f"<p>The lighting map's pixel holding the site ({pixel['pixel_m']:g} m, its centre "
            f"{pixel['centre_offset_m']:.0f} m from the site) gets a sunlit fraction of "
            f"{pixel['sunlit_fraction']:.3f}: the map answers for each pixel's centre, the "
            "figures above for the site's own point, from the same height, terrain and "
            "period.</p>"
        )
    real = site.get("real_horizon")
    if real:
        parts.append(
            f"<p>On the site's real horizon ({html.escape(real['source'])}): sunlit "
            f"fraction {real['sunlit_fraction']:.3f}, longest darkness "
            f"{real['longest_darkness_h']:.0f} h, Earth visible "
            f"{real['earth_visible_fraction']:.3f}.</p>"
        )
    return "".join(parts)


def _station_tables(station: dict) -> str:
    survival = station.get("survival", {})
    storage = station.get("storage", {})
    power = station.get("power", {})
    data = station.get("data", {})
    rows = [
        ["period", f"{station['period']['start'][:10]} to {station['period']['end'][:10]}"],
        ["survival loads always met", survival.get("ok")],
        ["hours short of survival power", survival.get("failed_hours")],
        ["mean generated [W]", power.get("mean_generated_w")],
        ["mean demand [W]", power.get("mean_demand_w")],
        ["usable storage [Wh]", storage.get("usable_wh")],
        ["lowest state of charge", storage.get("min_state_of_charge")],
        ["data delivered per day [bytes]", data.get("delivered_per_day_bytes")],
        ["water produced [kg]", station.get("water", {}).get("produced_kg")],
        [
            "ISRU energy per kg of water [Wh]",
            station.get("water", {}).get("energy_per_kg_water_wh"),
        ],
    ]
    rows += [
        [f"{name}: sunlight on the panel reaching the bus", _array_chain_text(array)]
        for name, array in station.get("arrays", {}).items()
        if array.get("system_efficiency") is not None
    ]
    return _table(["figure", "value"], [row for row in rows if row[1] is not None])


def _array_chain_text(array: dict) -> str:
    """An array's whole chain at work over the period, and what it starts from."""
    text = f"{array['system_efficiency']:.1%}"
    if "cell_efficiency_bol" in array:
        text += f" (cells {array['cell_efficiency_bol']:.0%} at beginning of life"
        if array.get("mean_cell_temperature_k") is not None:
            text += f", at {array['mean_cell_temperature_k']:.0f} K on average when lit"
        text += ")"
    return text


def _findings(findings: list[dict]) -> str:
    if not findings:
        return "<p>No findings.</p>"
    items = "".join(
        f'<li class="{html.escape(f["severity"])}">{html.escape(f["severity"])}: '
        f"{html.escape(f['message'])}</li>"
        for f in findings
    )
    return f"<h3>Findings</h3><ul>{items}</ul>"
