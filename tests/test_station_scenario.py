"""Station scenario files: the reference one loads, and every mistake is named with its file,
line and field."""

from __future__ import annotations

import json
import textwrap

import pytest

from ilrs.cli import main
from ilrs.data import data_path
from ilrs.errors import InputError
from ilrs.station.scenario import load_scenario, scenario_json_schema

GOOD = """\
name: test station
period:
  start: 2026-01-01T00:00:00Z
  end: 2026-01-02T00:00:00Z
  step: 1h
site:
  name: connecting-ridge
  horizon_csv: profile.csv
surface:
  storage:
    - name: battery
      capacity_wh: 1000
  loads:
    - name: survival
      power_w: 100
      priority: 0
  relay_link: {frequency_hz: 2.25e9, rate_steps_bps: [9600], terminal: {gain_dbi: 6, rf_power_w: 9}}
orbital:
  relays:
    - name: relay
      orbit:
        perilune_altitude_m: 300000
        apolune_altitude_m: 8600000
        inclination_deg: 54.8
      proximity_terminal: {diameter_m: 4.2, system_noise_temperature_k: 300}
      to_earth:
        terminal: {diameter_m: 1, rf_power_w: 50}
        frequency_hz: 2.6e10
        rate_steps_bps: [1.0e7]
"""


def write(tmp_path, text):
    path = tmp_path / "station.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def refusal(path) -> str:
    """The message a scenario file is refused with."""
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    return str(caught.value)


def test_the_reference_scenario_loads_with_its_facts():
    scenario = load_scenario(data_path("station_reference.yaml"))
    assert scenario.site.name == "connecting-ridge"
    assert scenario.orbital.relays[0].builtin == "queqiao-2-12h"
    assert scenario.orbital.relays[0].proximity_terminal.diameter_m == 4.2  # FACTS.md
    assert [s.name for s in scenario.ground.stations] == ["kashi", "jiamusi", "neuquen"]
    assert scenario.period.start == "2026-01-01T00:00:00Z"  # dates stay text, read as UTC


def test_a_good_file_loads_and_paths_are_taken_from_its_folder(tmp_path):
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.path("profile.csv") == (tmp_path / "profile.csv").resolve()
    assert scenario.surface.storage[0].depth_of_discharge == 0.8  # the default


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "problem"),
    [
        (
            "      capacity_wh: 1000",
            "      capacity_wh: 1000\n      colour: red",
            13,
            "surface.storage[0].colour",
            "unknown field",
        ),
        (
            "      capacity_wh: 1000",
            "      capacity_wh: -5",
            12,
            "surface.storage[0].capacity_wh",
            "greater than 0",
        ),
        ("  name: connecting-ridge\n", "", 6, "site", "lat_deg and lon_deg, or the name"),
        (
            "        perilune_altitude_m: 300000",
            "        perilune_altitude_m: -20000",
            22,
            "orbital.relays[0].orbit.perilune_altitude_m",
            "below the lunar surface",
        ),
        ("  step: 1h", "  step: 1 fortnight", 5, "period.step", "cannot read duration"),
        (
            "  end: 2026-01-02T00:00:00Z",
            "  end: 2025-12-31T00:00:00Z",
            2,
            "period",
            "is not after start",
        ),
        (
            "      priority: 0",
            "      priority: first",
            16,
            "surface.loads[0].priority",
            "valid integer",
        ),
        # What no single field can tell:
        ("  name: connecting-ridge", "  name: nowhere", 7, "site.name", "unknown site 'nowhere'"),
        (
            "      capacity_wh: 1000",
            "      capacity_wh: .nan",
            12,
            "surface.storage[0].capacity_wh",
            "finite number",
        ),
        (
            "    - name: survival",
            "    - name: survival\n      power_w: 1\n    - name: survival",
            16,
            "surface.loads[1].name",
            "the name 'survival' is used twice",
        ),
        (
            "      proximity_terminal: {diameter_m: 4.2, system_noise_temperature_k: 300}",
            "      proximity_terminal: {diameter_m: 4.2}",
            25,
            "orbital.relays[0].proximity_terminal.system_noise_temperature_k",
            "receiving terminal",
        ),
        (
            "terminal: {gain_dbi: 6, rf_power_w: 9}}",
            "terminal: {gain_dbi: 6}}",
            17,
            "surface.relay_link.terminal.rf_power_w",
            "transmitting terminal",
        ),
        (
            "      orbit:\n        perilune_altitude_m: 300000\n"
            "        apolune_altitude_m: 8600000\n        inclination_deg: 54.8\n",
            "      builtin: queqiao-3\n",
            21,
            "orbital.relays[0].builtin",
            "unknown builtin orbit",
        ),
    ],
)
def test_each_mistake_is_named_with_its_line_and_field(tmp_path, old, new, line, field, problem):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    message = refusal(path)
    assert f"{path}:{line}: {field}: " in message
    assert problem in message


def test_a_missing_section_and_two_problems_at_once(tmp_path):
    text = GOOD.replace("site:\n  name: connecting-ridge\n  horizon_csv: profile.csv\n", "")
    text = text.replace("      power_w: 100", "      power_w: -1")
    path = write(tmp_path, text)
    message = refusal(path)
    assert message.startswith("2 problems:")
    assert f"{path}:1: site: required field is missing" in message
    assert (
        f"{path}:12: surface.loads[0].power_w: Input should be greater than or equal to 0"
        in message
    )


def test_ground_stations_are_checked_against_the_known_ones_and_the_step(tmp_path):
    text = GOOD + textwrap.dedent(
        """\
        ground:
          stations:
            - {name: kashy, terminal: {diameter_m: 35, system_noise_temperature_k: 50}}
            - name: kashi
              hours_per_day: 0.5
              terminal: {diameter_m: 35, system_noise_temperature_k: 50}
        """
    )
    path = write(tmp_path, text)
    message = refusal(path)
    assert message.startswith("2 problems:")
    assert f"{path}:32: ground.stations[0].name: unknown ground station 'kashy'" in message
    assert (
        f"{path}:34: ground.stations[1].hours_per_day: 0.5 h a day is less than one step" in message
    )


def test_broken_yaml_and_a_missing_file(tmp_path):
    path = write(tmp_path, "name: x\nperiod: [unclosed\n")
    with pytest.raises(InputError, match=r"station.yaml:3: not valid YAML"):
        load_scenario(path)
    with pytest.raises(InputError, match="cannot read scenario file"):
        load_scenario(tmp_path / "absent.yaml")


def test_the_cli_reports_the_line_and_writes_the_schema(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("      capacity_wh: 1000", "      capacity_wh: 0"))
    assert main(["station", "check", str(path)]) == 1
    assert f"{path}:12: surface.storage[0].capacity_wh" in capsys.readouterr().err
    assert main(["station", "schema", "--out", str(tmp_path / "schema.json")]) == 0
    schema = json.loads((tmp_path / "schema.json").read_text())
    assert schema == scenario_json_schema()
    assert schema["additionalProperties"] is False
    assert "solar_arrays" in schema["$defs"]["Surface"]["properties"]
