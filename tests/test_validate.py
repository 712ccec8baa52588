"""``ilrs validate``: every model beside its authority, the same table asserted here."""

from __future__ import annotations

import csv
import io

import pytest

from ilrs.cli import main
from ilrs.errors import InputError
from ilrs.report import authorities
from ilrs.report.authorities import CHECKS, run_checks


@pytest.fixture(scope="module")
def table():
    return run_checks()


def test_every_model_is_within_its_authoritys_tolerance(table):
    off = [row.as_dict() for row in table if not row.ok]
    assert off == []
    cases = {(row.area, row.case) for row in table}
    references = authorities._authorities()
    assert cases == {(area, case) for area in references for case in references[area]}
    assert {row.area for row in table} == set(CHECKS)
    assert all(row.source and row.how and row.unit for row in table)


def test_the_figures_the_readme_quotes(table):
    """The README's table: Hayne 2017's noon, the Apollo sites, the EMWIN hops, CSPICE."""
    values = {row.case: row.model for row in table}
    assert values["equator_noon_k"] == pytest.approx(385.2, abs=0.1)
    assert values["apollo15_at_depth_k"] == pytest.approx(244.9, abs=0.1)
    assert values["emwin_downlink_c_over_n0_dbhz"] == pytest.approx(53.20, abs=0.01)
    assert values["sun_earth_vs_cspice"] < 1e-8
    assert values["shackleton_floor_psr"] == 0.0


def test_a_model_off_its_reference_fails_the_command(capsys, monkeypatch):
    real = authorities._authorities()

    def moved():
        changed = {area: dict(cases) for area, cases in real.items()}
        changed["orbit"] = dict(real["orbit"])
        changed["orbit"]["frozen_inclination_deg"] = real["orbit"]["frozen_inclination_deg"] | {
            "reference": 60.0
        }
        return changed

    monkeypatch.setattr(authorities, "_authorities", moved)
    status = main(["validate", "--area", "orbit", "--area", "links"])
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 1
    assert [(r["case"], r["ok"]) for r in rows] == [
        ("frozen_inclination_deg", "False"),
        ("kozai_at_its_eccentricity_deg", "True"),
        ("emwin_uplink_c_over_n0_dbhz", "True"),
        ("emwin_downlink_c_over_n0_dbhz", "True"),
    ]


def test_an_unknown_area_is_refused():
    with pytest.raises(InputError, match="unknown area 'weather'; the areas: sky, terrain"):
        run_checks(["weather"])


def test_the_ice_area_holds_ingersolls_bowl_and_murphy_and_koop():
    rows = {row.case: row for row in run_checks(["ice"])}
    bowl = rows["bowl_shadowed_bottom_k"]
    # Ingersoll et al. 1992 for F = 1361 sin 10 deg, d/D 0.2, A 0.12, eps 0.95, by hand:
    # f = 0.16 / 1.16, sigma T^4 = 236.33 f 0.88 / (1 - 0.12 f) (1 + 0.12 (1 - f) / 0.95).
    f = 0.16 / 1.16
    flux = 1361.0 * 0.17364818 * f * 0.88 / (1 - 0.12 * f) * (1 + 0.12 * (1 - f) / 0.95)
    assert bowl.reference == pytest.approx((flux / 5.670374419e-8) ** 0.25, abs=0.01)
    assert rows["ingersoll_formula_k"].model == pytest.approx(bowl.reference, abs=0.01)
    # The thermal map's terrain terms on 50 m cells: a kelvin below the formula.
    assert bowl.model == pytest.approx(153.56, abs=0.05)
    assert rows["ice_loss_at_110k_m_per_gyr"].model == pytest.approx(0.1543, abs=1e-4)
    assert all(row.ok for row in rows.values())
