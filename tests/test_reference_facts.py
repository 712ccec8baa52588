"""The reference files say what public sources say (issue 20, items 4 and 6): the relay's
proximity link band, the crewed landing's two launches, one radioisotope decay figure."""

from __future__ import annotations

import math

from ilrs.campaign.checks import plan_findings
from ilrs.campaign.scenario import load_campaign
from ilrs.data import data_path
from ilrs.station.scenario import load_scenario

X_BAND_HZ = (8.0e9, 12.0e9)  # IEEE Std 521 X band
PU238_HALF_LIFE_YEARS = 87.7  # NUBASE2020


def _reference_station():
    return load_scenario(data_path("station_reference.yaml"))


def _reference_campaign():
    return load_campaign(data_path("campaign_reference.yaml"))


def test_the_surface_talks_to_queqiao_2_in_x_band():
    # Queqiao-2 serves landers in X band and UHF; its S band is a link to Earth.
    station = _reference_station()
    campaign_station, _ = _reference_campaign()
    for scenario in (station, campaign_station):
        low_hz, high_hz = X_BAND_HZ
        assert low_hz <= scenario.surface.relay_link.frequency_hz <= high_hz
        for relay in scenario.orbital.relays:
            # the relay's Earth link stays Ka band (26 GHz), not the S-band backup
            assert relay.to_earth.frequency_hz > 20e9


def test_every_radioisotope_unit_decays_by_one_physical_figure():
    station = _reference_station()
    campaign_station, _ = _reference_campaign()
    decays = {
        source.decay_per_year
        for scenario in (station, campaign_station)
        for source in scenario.surface.constant_sources
        if source.kind == "radioisotope"
    }
    assert len(decays) == 1
    (decay,) = decays
    # at least the fuel's own loss of heat: 1 - 2^(-1/87.7) = 0.79 %/yr
    assert decay >= 1.0 - math.pow(2.0, -1.0 / PU238_HALF_LIFE_YEARS)


def test_the_crewed_landing_is_two_long_march_10_launches():
    station, campaign = _reference_campaign()
    crewed = [m for m in campaign.missions if m.name.startswith("Crewed landing")]
    assert len(crewed) == 2
    assert {m.launcher for m in crewed} == {"Long March 10"}
    lanyue, mengzhou = sorted(crewed, key=lambda m: m.launch_tdb_s)
    assert "Lanyue" in lanyue.name and "Mengzhou" in mengzhou.name
    assert mengzhou.depends_on == [lanyue.name]
    capacity_kg = {launcher.name: launcher.capacity_kg for launcher in campaign.launchers}
    assert all(m.mass_kg <= capacity_kg["Long March 10"] for m in crewed)
    # flown days apart on purpose: no cadence warning, no error
    names = {m.name for m in crewed}
    about_them = [f for f in plan_findings(station, campaign) if f.mission in names]
    assert about_them == []
