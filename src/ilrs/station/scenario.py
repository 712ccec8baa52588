"""The station scenario: the site, the surface elements, the relays and the ground segment,
as a YAML file validated field by field (pydantic), with a JSON Schema for editors.

Every quantity carries its unit in its name. Paths in the file (a DEM, a horizon profile)
are taken relative to the file. Values that come from a publication say so in the
reference scenario's comments, not here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from ilrs.scenario_files import ScenarioSource, named_file_problem, read_scenario_yaml
from ilrs.sky import parse_duration_s, parse_utc
from ilrs.terrain.sources import dem_files

__all__ = [
    "ArrayLosses",
    "Isru",
    "Load",
    "Period",
    "RelaySpec",
    "Scenario",
    "Schedule",
    "Site",
    "SolarArray",
    "Storage",
    "StrictModel",
    "cross_checks",
    "load_scenario",
    "scenario_from_source",
    "scenario_json_schema",
    "utc_text",
]


class StrictModel(BaseModel):
    """A scenario section: unknown fields are errors, values frozen once read."""

    # NaN and infinity are refused at the field, not met later as a strange figure.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def utc_text(text: str | None) -> str | None:
    """A field validator: the text is an ISO 8601 UTC instant (or absent)."""
    if text is not None:
        parse_utc(text)  # raises with the reason
    return text


class Period(StrictModel):
    start: str = Field(description="first instant, ISO 8601 UTC")
    end: str = Field(description="last instant, ISO 8601 UTC")
    step: str = Field("15min", description="time step, e.g. 15min, 1h, PT10M")

    _check_start = field_validator("start", "end")(utc_text)

    @field_validator("step")
    @classmethod
    def _step(cls, value: str) -> str:
        if parse_duration_s(value) <= 0:
            raise ValueError("the step must be positive")
        return value

    @model_validator(mode="after")
    def _ordered(self):
        if parse_utc(self.end).tdb_s[0] <= parse_utc(self.start).tdb_s[0]:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self


# Terrains a site may name that are not files: the embedded real LOLA cap, the synthetic pole.
BUILT_IN_TERRAINS = (None, "lola", "synthetic")


class Site(StrictModel):
    name: str | None = Field(None, description="a reference site (ilrs site list) or a label")
    lat_deg: float | None = Field(None, ge=-90, le=90)
    lon_deg: float | None = None
    terrain: str | None = Field(
        None,
        description="'lola' for the embedded real LOLA polar cap (1600 m); a DEM GeoTIFF or "
        "LOLA .LBL (relative path), with the cap as its far field; or 'synthetic' for the "
        "synthetic south pole around the site",
    )
    synthetic_size_px: int = Field(1024, ge=64, le=8192)
    synthetic_resolution_m: float = Field(100.0, gt=0)
    horizon_csv: str | None = Field(None, description="horizon profile azimuth_deg,elevation_deg")
    max_distance_m: float = Field(300_000.0, gt=0, description="horizon reach on the terrain")

    @model_validator(mode="after")
    def _placed(self):
        if self.lat_deg is None or self.lon_deg is None:
            if self.name is None:
                raise ValueError("give the site's lat_deg and lon_deg, or the name of a site")
            if (self.lat_deg is None) != (self.lon_deg is None):
                raise ValueError("give both lat_deg and lon_deg, or neither (a named site)")
        if (self.terrain is None) == (self.horizon_csv is None):
            raise ValueError("give exactly one of terrain (a DEM) and horizon_csv (a profile)")
        return self


class ArrayLosses(StrictModel):
    """The factors between a cell's rated efficiency and the bus (``station.solar``; the
    defaults' sources: ``station.solar.LOSS_SOURCES``)."""

    packing_factor: float = Field(0.90, gt=0, le=1, description="cell area over panel area")
    mismatch_factor: float = Field(0.97, gt=0, le=1, description="string mismatch, interconnects")
    temperature_coefficient_per_k: float = Field(
        -0.0022, ge=-0.02, le=0.0, description="output change per K from 28 C, relative"
    )
    pcu_efficiency: float = Field(0.95, gt=0, le=1, description="power conditioning and MPPT")
    cable_efficiency: float = Field(0.98, gt=0, le=1, description="harness to the bus")
    reflection_a_r: float | None = Field(
        0.16, gt=0, le=1, description="angular loss a_r (Martin & Ruiz 2001); none: no loss"
    )
    absorptance: float = Field(0.91, gt=0, le=1, description="solar absorptance (temperature)")
    emittance_front: float = Field(0.85, gt=0, le=1)
    emittance_back: float = Field(0.85, gt=0, le=1)
    ground_temperature_k: float = Field(
        200.0, ge=0, le=450, description="the ground's glow; a vertical panel's faces half see it"
    )


class SolarArray(StrictModel):
    name: str
    mount: Literal["fixed", "vertical-tracking"] = Field(
        "vertical-tracking",
        description="vertical panel turning about the vertical axis to face the Sun, or fixed",
    )
    area_m2: float = Field(gt=0)
    cell_efficiency: float = Field(
        gt=0, le=1, description="the cell's rated efficiency at beginning of life (AM0, 28 C)"
    )
    losses: ArrayLosses | None = Field(
        ArrayLosses(),
        description="the chain from cell to bus; 'none': cell_efficiency is the system's",
    )
    degradation_per_year: float = Field(0.0, ge=0, lt=1)
    height_m: float = Field(2.0, ge=0, description="array centre above the ground (mast)")
    azimuth_deg: float = Field(0.0, description="fixed mount: facing azimuth")
    tilt_deg: float = Field(90.0, ge=0, le=90, description="fixed mount: 90 = vertical")
    installed_utc: str | None = None

    _check_installed = field_validator("installed_utc")(utc_text)

    @field_validator("losses", mode="before")
    @classmethod
    def _losses_none(cls, value):
        """``losses: none`` (or null) turns the chain off; any other word is a mistake."""
        if value is None or value == "none":
            return None
        if not isinstance(value, dict | ArrayLosses):
            raise ValueError(f"give the factors as a mapping, or 'none'; got {value!r}")
        return value

    @property
    def chain(self) -> ArrayLosses | None:
        """The loss chain, or None for ``losses: none``."""
        return self.losses


class Storage(StrictModel):
    name: str
    kind: Literal["battery", "regenerative-fuel-cell"] = "battery"
    capacity_wh: float = Field(gt=0)
    depth_of_discharge: float = Field(0.8, gt=0, le=1)
    round_trip_efficiency: float = Field(0.9, gt=0, le=1)
    initial_state_of_charge: float = Field(1.0, ge=0, le=1)
    max_charge_w: float | None = Field(
        None, gt=0, description="the most it takes in (electrolyser, charger); none: no limit"
    )
    max_discharge_w: float | None = Field(
        None, gt=0, description="the most it gives out (fuel cell stack); none: no limit"
    )
    installed_utc: str | None = Field(None, description="arrives (charged); none: at the start")

    _check_installed = field_validator("installed_utc")(utc_text)

    @model_validator(mode="after")
    def _can_hold_its_floor(self):
        if self.initial_state_of_charge < 1.0 - self.depth_of_discharge:
            raise ValueError(
                f"initial_state_of_charge {self.initial_state_of_charge:g} is below the floor "
                f"that depth_of_discharge {self.depth_of_discharge:g} leaves "
                f"({1.0 - self.depth_of_discharge:g})"
            )
        return self


class ConstantSource(StrictModel):
    name: str
    kind: Literal["radioisotope", "fission", "other"] = "radioisotope"
    power_w: float = Field(gt=0)
    decay_per_year: float = Field(0.0, ge=0, lt=1, description="fractional loss per year")
    installed_utc: str | None = Field(None, description="fuelled/started; none: at the start")

    _check_installed = field_validator("installed_utc")(utc_text)


class Schedule(StrictModel):
    mode: Literal["always", "sunlit", "duty-cycle", "windows"] = "always"
    duty_cycle: float = Field(1.0, gt=0, le=1, description="duty-cycle: fraction of each period")
    period_h: float = Field(24.0, gt=0)
    windows: list[tuple[str, str]] = Field(
        [], description="windows: [start, end) pairs of ISO UTC instants when it runs"
    )

    @field_validator("windows")
    @classmethod
    def _ordered_windows(cls, windows: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for start, end in windows:
            if parse_utc(end).tdb_s[0] <= parse_utc(start).tdb_s[0]:
                raise ValueError(f"the window {start} .. {end} ends before it starts")
        return windows

    @model_validator(mode="after")
    def _windows_given(self):
        if self.mode == "windows" and not self.windows:
            raise ValueError("mode 'windows' needs a list of [start, end] windows")
        return self


class Load(StrictModel):
    name: str
    power_w: float = Field(ge=0)
    priority: int = Field(
        1, ge=0, le=9, description="0 = survival (never shed); higher numbers are shed first"
    )
    schedule: Schedule = Schedule()
    data_rate_bps: float = Field(0.0, ge=0, description="data generated while running")
    installed_utc: str | None = Field(None, description="runs from then; none: from the start")

    _check_installed = field_validator("installed_utc")(utc_text)


class Rover(Load):
    priority: int = Field(3, ge=0, le=9)
    schedule: Schedule = Schedule(mode="duty-cycle", duty_cycle=0.3, period_h=24.0)


class TerminalSpec(StrictModel):
    diameter_m: float | None = Field(None, gt=0)
    gain_dbi: float | None = None
    efficiency: float = Field(0.55, gt=0, le=1)
    rf_power_w: float = Field(0.0, ge=0)
    system_noise_temperature_k: float = Field(0.0, ge=0)
    losses_db: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _antenna(self):
        if (self.diameter_m is None) == (self.gain_dbi is None):
            raise ValueError("give the antenna's diameter_m or its gain_dbi (one of them)")
        return self


class LinkSpec(StrictModel):
    """A radio link from this end's terminal: its carrier, how it modulates and codes, the
    bandwidth it may occupy, the rates its radio offers and the margin it holds.

    The rate at each step is the highest that both the power (Eb/N0 above the requirement
    plus the margin) and the bandwidth (bandwidth times the scheme's bit/s per Hz) allow,
    and, where ``rate_steps_bps`` is given, one of those rates."""

    terminal: TerminalSpec
    frequency_hz: float = Field(gt=0)
    coding: str | None = Field(
        None,
        description="a named modulation and code (ilrs.station.modcod: dvb-s2-qpsk-1/2, "
        "ccsds-turbo-1/2-bpsk ...), 'adaptive' for DVB-S2 adaptive coding and modulation "
        "(the best MODCOD the link allows at each step), or none for a custom code given "
        "by required_eb_n0_db",
    )
    bandwidth_hz: float | None = Field(
        None, gt=0, description="the bandwidth allocated to the link (occupied, both sides)"
    )
    roll_off: float = Field(
        0.35, ge=0, le=1, description="root-raised-cosine roll-off: (1 + roll_off) Hz per baud"
    )
    rate_steps_bps: list[float] | None = Field(
        None,
        min_length=1,
        description="the rates the radio offers; optional when bandwidth_hz and a coding "
        "bound the rate",
    )
    required_eb_n0_db: float | None = Field(
        None,
        description="custom code only: Eb/N0 it needs at the error rate wanted, with the "
        "implementation loss (2.5 dB when not given)",
    )
    spectral_efficiency_bps_per_hz: float | None = Field(
        None, gt=0, description="custom code only: information bit/s per Hz of bandwidth"
    )
    implementation_loss_db: float | None = Field(
        None,
        ge=0,
        description="named coding only: demodulator and decoder losses added to the "
        "scheme's ideal Eb/N0 (1 dB when not given)",
    )
    margin_db: float = Field(3.0, ge=0)
    weather_availability: float | None = Field(
        None,
        ge=0.95,
        le=0.99999,
        description="links to ground stations: the fraction of the year the Earth's "
        "atmosphere (ITU-R P.618: gases, clouds, rain, scintillation) is no worse than "
        "budgeted; none: no atmosphere",
    )
    antenna_height_m: float = Field(3.0, ge=0, description="surface antenna above the ground")
    installed_utc: str | None = Field(None, description="works from then; none: from the start")

    _check_installed = field_validator("installed_utc")(utc_text)

    @field_validator("rate_steps_bps")
    @classmethod
    def _positive(cls, steps: list[float] | None) -> list[float] | None:
        if steps is None:
            return None
        if any(step <= 0 for step in steps):
            raise ValueError("every rate step must be positive")
        return sorted(steps)

    @model_validator(mode="after")
    def _coding_consistent(self):
        from ilrs.station.modcod import ADAPTIVE, schemes

        if self.coding is not None:
            name = self.coding.strip().lower()
            if name != ADAPTIVE and name not in schemes():
                raise ValueError(
                    f"unknown coding {self.coding!r}; known: {ADAPTIVE}, {', '.join(schemes())}"
                )
            for field in ("required_eb_n0_db", "spectral_efficiency_bps_per_hz"):
                if getattr(self, field) is not None:
                    raise ValueError(
                        f"coding {self.coding!r} sets the {field} from its table; leave "
                        f"{field} out, or leave coding out for a custom code"
                    )
        elif self.implementation_loss_db is not None:
            raise ValueError(
                "implementation_loss_db goes with a named coding; a custom code's "
                "required_eb_n0_db already holds its losses"
            )
        if self.rate_steps_bps is None:
            if self.bandwidth_hz is None:
                raise ValueError(
                    "give rate_steps_bps (the radio's rates) or bandwidth_hz (with a coding): "
                    "without either nothing bounds the rate"
                )
            if self.coding is None and self.spectral_efficiency_bps_per_hz is None:
                raise ValueError(
                    "a custom code with bandwidth_hz and no rate_steps_bps needs its "
                    "spectral_efficiency_bps_per_hz (or name a coding)"
                )
        if (
            self.coding is None
            and self.spectral_efficiency_bps_per_hz is not None
            and self.bandwidth_hz is None
        ):
            raise ValueError("spectral_efficiency_bps_per_hz needs bandwidth_hz to bound the rate")
        if (
            self.coding is None
            and self.bandwidth_hz is not None
            and self.spectral_efficiency_bps_per_hz is None
        ):
            # Else the bandwidth would bound nothing: a cap the file seems to set, not kept.
            raise ValueError(
                "bandwidth_hz bounds a custom code's rate only with its "
                "spectral_efficiency_bps_per_hz (or name a coding)"
            )
        if self.weather_availability is not None and not (
            ATMOSPHERE_MIN_HZ <= self.frequency_hz <= ATMOSPHERE_MAX_HZ
        ):
            raise ValueError(
                f"weather_availability needs a frequency the atmosphere model covers (ITU-R "
                f"P.618: 1-55 GHz); frequency_hz is {self.frequency_hz / 1e9:g} GHz"
            )
        return self

    def rate_modes(self):
        """The modulations and codes the link may use, each with its required Eb/N0
        (implementation loss included) and its ceiling in the bandwidth."""
        import math

        from ilrs.station.links import RateMode
        from ilrs.station.modcod import ADAPTIVE, adaptive_schemes, scheme

        bandwidth = self.bandwidth_hz
        if self.coding is None:
            efficiency = self.spectral_efficiency_bps_per_hz
            ceiling = (
                math.inf if bandwidth is None or efficiency is None else bandwidth * efficiency
            )
            required = 2.5 if self.required_eb_n0_db is None else self.required_eb_n0_db
            return [RateMode("custom", required, ceiling)]
        loss = 1.0 if self.implementation_loss_db is None else self.implementation_loss_db
        name = self.coding.strip().lower()
        chosen = adaptive_schemes() if name == ADAPTIVE else [scheme(name)]
        return [
            RateMode(
                entry.name,
                entry.required_eb_n0_db + loss,
                math.inf if bandwidth is None else bandwidth * entry.bits_per_hz(self.roll_off),
            )
            for entry in chosen
        ]

    def describe(self) -> dict:
        """What sets the link's rate, for summaries: coding, bandwidth, weather."""
        return {
            "coding": self.coding or "custom",
            "bandwidth_hz": self.bandwidth_hz,
            "weather_availability": self.weather_availability,
        }


# The frequencies ITU-R P.618's attenuation covers (station.atmosphere).
ATMOSPHERE_MIN_HZ, ATMOSPHERE_MAX_HZ = 1.0e9, 55.0e9

# The fields that describe the ice and the process (``station.isru``), as against one
# measured figure for the energy per kg of water.
_ICE_FIELDS = (
    "ice_weight_fraction",
    "regolith_temperature_k",
    "process_temperature_k",
    "extraction_efficiency",
    "heater_efficiency",
)


class Isru(StrictModel):
    name: str = "ISRU plant"
    energy_per_kg_water_wh: float | None = Field(
        None, gt=0, description="a measured figure; none: from the ice and the process below"
    )
    ice_weight_fraction: float | None = Field(
        None, gt=0, le=1, description="mass of ice over mass of icy regolith"
    )
    regolith_temperature_k: float = Field(
        60.0, ge=20, le=273.16, description="where the regolith lies"
    )
    # Below the triple point: in vacuum the ice sublimes there (the model's path); above
    # it the ice would be gone, or melt in a pressurised vessel (another path).
    process_temperature_k: float = Field(
        230.0, gt=20, le=273.16, description="heated to; the ice sublimes"
    )
    extraction_efficiency: float = Field(0.8, gt=0, le=1, description="share of ice collected")
    heater_efficiency: float = Field(0.6, gt=0, le=1, description="electricity to heat in it")
    max_power_w: float = Field(gt=0, description="the most the plant can draw")
    installed_utc: str | None = Field(None, description="works from then; none: from the start")

    _check_installed = field_validator("installed_utc")(utc_text)

    @model_validator(mode="after")
    def _one_way_to_its_energy(self):
        given = [name for name in _ICE_FIELDS if name in self.model_fields_set]
        if self.energy_per_kg_water_wh is not None and given:
            raise ValueError(
                f"give energy_per_kg_water_wh or the ice ({', '.join(given)}), not both"
            )
        if self.energy_per_kg_water_wh is None and self.ice_weight_fraction is None:
            raise ValueError("give the ice_weight_fraction (or a measured energy_per_kg_water_wh)")
        if self.process_temperature_k <= self.regolith_temperature_k:

            def said(name):
                default = "" if name in self.model_fields_set else " (its default)"
                return f"{name} {getattr(self, name):g}{default}"

            raise ValueError(
                f"{said('process_temperature_k')} must be above {said('regolith_temperature_k')}"
            )
        return self

    def extraction(self):
        """The energy per kg of water and its parts (``station.isru.WaterExtraction``), or
        None where a measured figure is given."""
        if self.energy_per_kg_water_wh is not None:
            return None
        from ilrs.station.isru import water_extraction

        return water_extraction(
            self.ice_weight_fraction,
            regolith_temperature_k=self.regolith_temperature_k,
            process_temperature_k=self.process_temperature_k,
            extraction_efficiency=self.extraction_efficiency,
            heater_efficiency=self.heater_efficiency,
        )

    @property
    def wh_per_kg_water(self) -> float:
        """The electrical energy the plant draws per kg of water collected."""
        extraction = self.extraction()
        return self.energy_per_kg_water_wh if extraction is None else extraction.electric_wh_per_kg


class Surface(StrictModel):
    solar_arrays: list[SolarArray] = []
    storage: list[Storage] = []
    constant_sources: list[ConstantSource] = []
    loads: list[Load] = []
    rovers: list[Rover] = []
    dte: LinkSpec | None = Field(None, description="direct-to-Earth terminal")
    relay_link: LinkSpec | None = Field(None, description="terminal for the relay satellites")
    isru: Isru | None = None
    data_buffer_bytes: float = Field(64e9, gt=0)
    survival_reserve_wh: float = Field(
        0.0,
        ge=0,
        description="stored energy above the floors that only survival loads may draw: "
        "the other loads are shed first",
    )


class OrbitSpec(StrictModel):
    perilune_altitude_m: float
    apolune_altitude_m: float
    inclination_deg: float = Field(ge=0, le=180)
    raan_deg: float = 0.0
    arg_perilune_deg: float = 90.0
    mean_anomaly_deg: float = 0.0
    epoch_utc: str = "2026-01-01T00:00:00Z"

    _check_epoch = field_validator("epoch_utc")(utc_text)

    @field_validator("perilune_altitude_m")
    @classmethod
    def _above_surface(cls, altitude_m: float) -> float:
        if altitude_m <= 0:
            raise ValueError(f"the perilune altitude {altitude_m:g} m is below the lunar surface")
        return altitude_m

    @model_validator(mode="after")
    def _ordered(self):
        if self.apolune_altitude_m < self.perilune_altitude_m:
            raise ValueError("the apolune altitude is below the perilune altitude")
        return self


class RelaySpec(StrictModel):
    name: str
    builtin: str | None = Field(None, description="queqiao-2-24h or queqiao-2-12h")
    orbit: OrbitSpec | None = None
    proximity_terminal: TerminalSpec = Field(
        description="the relay's antenna facing the surface (receiving)"
    )
    to_earth: LinkSpec = Field(description="the relay's link to the ground stations")

    @model_validator(mode="after")
    def _one_orbit(self):
        if (self.builtin is None) == (self.orbit is None):
            raise ValueError("give the relay either a builtin orbit or its orbit elements")
        return self


class Orbital(StrictModel):
    relays: list[RelaySpec] = []


class GroundStationSpec(StrictModel):
    name: str = Field(description="a built-in station (kashi, jiamusi ...) or a new name")
    lat_deg: float | None = Field(None, ge=-90, le=90)
    lon_deg: float | None = None
    height_m: float = 0.0
    elevation_mask_deg: float = Field(5.0, ge=0, lt=90)
    hours_per_day: float = Field(24.0, gt=0, le=24, description="hours a day given to the ILRS")
    antennas: int = Field(
        1, ge=1, le=16, description="antennas it can give the ILRS at once (one link each)"
    )
    terminal: TerminalSpec

    @model_validator(mode="after")
    def _placed(self):
        if (self.lat_deg is None) != (self.lon_deg is None):
            raise ValueError("give both lat_deg and lon_deg, or neither (a built-in station)")
        return self


class Facility(StrictModel):
    name: str
    location: str = ""


class Ground(StrictModel):
    stations: list[GroundStationSpec] = []
    headquarters: Facility | None = None


class Scenario(StrictModel):
    name: str
    period: Period
    site: Site
    surface: Surface = Surface()
    orbital: Orbital = Orbital()
    ground: Ground = Ground()
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    def path(self, relative: str) -> Path:
        """A path from the file, taken relative to the file's folder."""
        return (self._base_dir / relative).resolve()

    def referenced_files(self) -> list[Path]:
        """The files the scenario names: its site's DEM or horizon profile."""
        files = [] if self.site.horizon_csv is None else [self.path(self.site.horizon_csv)]
        if self.site.terrain not in BUILT_IN_TERRAINS:
            files += dem_files(self.path(self.site.terrain))
        return files


def load_scenario(path: str | Path, *, within: Path | None = None) -> Scenario:
    """Read and validate a station scenario; every problem is reported with its line.
    ``within``: a folder the files it names must stay in (see ``named_file_problem``)."""
    return scenario_from_source(read_scenario_yaml(path, "scenario"), within=within)


def scenario_from_source(source: ScenarioSource, *, within: Path | None = None) -> Scenario:
    """The station scenario of a parsed file (a campaign file holds one, and more)."""
    data = {key: value for key, value in source.data.items() if key != "campaign"}
    scenario = source.validate(Scenario, data)
    problems = cross_checks(scenario)
    problems += _file_problems(scenario, source.path.resolve().parent, within)
    if problems:
        raise source.problems_error(problems)
    scenario._base_dir = source.path.resolve().parent
    return scenario


def _file_problems(
    scenario: Scenario, base_dir: Path, within: Path | None
) -> list[tuple[tuple, str]]:
    """The files the site names that cannot be names of files, or (``within`` given) that
    would be read from outside that folder."""
    problems = []
    for field in ("terrain", "horizon_csv"):
        name = getattr(scenario.site, field)
        if name in BUILT_IN_TERRAINS:
            continue
        why = named_file_problem(name, within, base=base_dir)
        if why is not None:
            problems.append((("site", field), why))
    return problems


def cross_checks(scenario: Scenario) -> list[tuple[tuple, str]]:
    """What no single field can tell: names known and unique, every link with a
    transmitter and a receiver, a station's hours no shorter than a step. Each problem as
    (location in the file, message)."""
    from ilrs.data import named_sites
    from ilrs.sky.orbits import builtin_orbits
    from ilrs.sky.stations import ground_stations

    problems: list[tuple[tuple, str]] = []
    site = scenario.site
    if site.lat_deg is None and site.name.strip().lower() not in named_sites():
        problems.append(
            (("site", "name"), f"unknown site {site.name!r}; known: {', '.join(named_sites())}")
        )
    surface = scenario.surface
    groups = [
        ("solar_arrays", surface.solar_arrays),
        ("storage", surface.storage),
        ("constant_sources", surface.constant_sources),
    ]
    for field, items in groups:
        problems += _duplicates(("surface", field), [item.name for item in items])
    # Loads and rovers share one namespace (the series and summary name them).
    load_names = [load.name for load in surface.loads]
    for index, rover in enumerate(surface.rovers):
        if rover.name in load_names:
            problems.append(
                (("surface", "rovers", index, "name"), f"a load is already named {rover.name!r}")
            )
    problems += _duplicates(("surface", "loads"), load_names)
    problems += _duplicates(("surface", "rovers"), [rover.name for rover in surface.rovers])

    for field in ("dte", "relay_link"):
        link = getattr(surface, field)
        if link is not None and link.terminal.rf_power_w <= 0:
            where = ("surface", field, "terminal", "rf_power_w")
            problems.append((where, "a transmitting terminal needs rf_power_w > 0"))
    if surface.relay_link is not None and surface.relay_link.weather_availability is not None:
        problems.append(
            (
                ("surface", "relay_link", "weather_availability"),
                "the link to the relays never crosses the Earth's atmosphere: leave "
                "weather_availability out",
            )
        )
    relays = scenario.orbital.relays
    if relays and surface.relay_link is None:
        problems.append(
            (("orbital", "relays"), "relays need a surface.relay_link terminal to reach them")
        )
    known_orbits = builtin_orbits()
    relay_names = [relay.name for relay in relays]
    problems += _duplicates(("orbital", "relays"), relay_names)
    for index, relay in enumerate(relays):
        where = ("orbital", "relays", index)
        if relay.builtin is not None and relay.builtin not in known_orbits:
            problems.append(
                (
                    where + ("builtin",),
                    f"unknown builtin orbit {relay.builtin!r}; known: {', '.join(known_orbits)}",
                )
            )
        if relay.name.lower() == "direct to earth":
            problems.append((where + ("name",), "'direct to Earth' names the direct link"))
        if relay.proximity_terminal.system_noise_temperature_k <= 0:
            problems.append(
                (
                    where + ("proximity_terminal", "system_noise_temperature_k"),
                    "a receiving terminal needs system_noise_temperature_k > 0",
                )
            )
        if relay.to_earth.terminal.rf_power_w <= 0:
            problems.append(
                (
                    where + ("to_earth", "terminal", "rf_power_w"),
                    "a transmitting terminal needs rf_power_w > 0",
                )
            )
    stations = scenario.ground.stations
    problems += _duplicates(("ground", "stations"), [station.name for station in stations])
    step_h = parse_duration_s(scenario.period.step) / 3600.0
    for index, station in enumerate(stations):
        where = ("ground", "stations", index)
        if station.lat_deg is None and station.name.strip().lower() not in ground_stations():
            problems.append(
                (
                    where + ("name",),
                    f"unknown ground station {station.name!r} (give lat_deg and lon_deg for a "
                    f"new one); known: {', '.join(ground_stations())}",
                )
            )
        if station.terminal.system_noise_temperature_k <= 0:
            problems.append(
                (
                    where + ("terminal", "system_noise_temperature_k"),
                    "a receiving terminal needs system_noise_temperature_k > 0",
                )
            )
        if station.hours_per_day < 24 and station.hours_per_day < step_h:
            problems.append(
                (
                    where + ("hours_per_day",),
                    f"{station.hours_per_day:g} h a day is less than one step of "
                    f"{scenario.period.step}",
                )
            )
    return problems


def _duplicates(location: tuple, names: list[str]) -> list[tuple[tuple, str]]:
    seen: set[str] = set()
    problems = []
    for index, name in enumerate(names):
        if name in seen:
            problems.append((location + (index, "name"), f"the name {name!r} is used twice"))
        seen.add(name)
    return problems


def scenario_json_schema() -> dict:
    """The JSON Schema of a station scenario, for editors' completion and checks."""
    schema = Scenario.model_json_schema()
    schema["title"] = "ILRS Planner station scenario"
    return schema
