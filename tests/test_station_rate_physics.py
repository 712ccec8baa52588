"""Link rates bounded by physics: the bandwidth times the coding's bits per hertz, the
coding's required Eb/N0 from the CCSDS / DVB-S2 tables, and the Earth's atmosphere at each
ground station (ITU-R P.618) at a stated weather availability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from ilrs.station.atmosphere import (
    atmosphere_table,
    sky_noise_increase_k,
    slant_attenuation_db,
    weather_penalty_db,
)
from ilrs.station.exposure import _terminal
from ilrs.station.links import RateMode, best_rate_bps, c_over_n0_dbhz
from ilrs.station.modcod import adaptive_schemes, scheme, schemes
from ilrs.station.scenario import LinkSpec, load_scenario

MOON_M = 3.844e8


def _reference():
    from ilrs.data import data_path

    return load_scenario(data_path("station_reference.yaml"))


def _dte_c_over_n0(dte, distance_m=MOON_M):
    kashi = {"diameter_m": 35, "efficiency": 0.6, "system_noise_temperature_k": 60}
    from ilrs.station.scenario import TerminalSpec

    return c_over_n0_dbhz(
        _terminal(dte.terminal, "lander"),
        _terminal(TerminalSpec(**kashi), "kashi"),
        distance_m=distance_m,
        frequency_hz=dte.frequency_hz,
    )


def test_the_reference_x_band_budget_with_a_long_rate_list_is_capped_by_its_bandwidth():
    """The issue's reproduction: the reference direct link, its radio offering rates up to
    10 Gbit/s. Its power alone would carry some 6 Gbit/s; the 10 MHz channel with DVB-S2's
    best MODCOD (32APSK 9/10, 4.453 bit/symbol, roll-off 0.35) carries at most
    10e6 * 4.453027 / 1.35 = 32.99 Mbit/s, and the listed rate just under it is taken."""
    dte = _reference().surface.dte
    c_n0 = _dte_c_over_n0(dte)
    power_only_bps = 10 ** ((c_n0 - 2.5 - 3.0) / 10)
    assert power_only_bps > 5e9  # the old answer: the rate list was the only bound
    steps = [10.0**k for k in np.arange(4.0, 10.01, 0.25)]
    long_list = dte.model_copy(update={"rate_steps_bps": steps})
    rate, chosen = best_rate_bps(
        c_n0, long_list.rate_modes(), margin_db=3.0, rate_steps_bps=long_list.rate_steps_bps
    )
    ceiling_bps = 10e6 * 4.453027 / 1.35
    assert float(rate) == max(step for step in steps if step <= ceiling_bps)
    no_list, _ = best_rate_bps(c_n0, dte.rate_modes(), margin_db=3.0)
    assert float(no_list) == pytest.approx(ceiling_bps, rel=1e-9)
    assert dte.rate_modes()[int(chosen)].name.startswith("dvb-s2-")


def test_the_rate_is_the_lower_of_the_power_and_the_bandwidth_bounds():
    # One mode needing 1 dB, margin 3 dB, 1 MHz at 2 bit/s/Hz: a 2 Mbit/s ceiling.
    mode = RateMode("m", 1.0, 2e6)
    # C/N0 = 60 dBHz: power allows 10^((60 - 4) / 10) = 398 kbit/s, under the ceiling.
    # C/N0 = 80 dBHz: power allows 39.8 Mbit/s: the ceiling binds.
    rate, chosen = best_rate_bps(np.array([60.0, 80.0, 0.0]), [mode], margin_db=3.0)
    np.testing.assert_allclose(rate, [10**5.6, 2e6, 10**-0.4])
    np.testing.assert_array_equal(chosen, [0, 0, 0])
    # With the radio's steps: the highest at or below both bounds.
    stepped, _ = best_rate_bps(
        np.array([60.0, 80.0, 0.0]), [mode], margin_db=3.0, rate_steps_bps=[1e5, 1e6, 4e6]
    )
    np.testing.assert_array_equal(stepped, [1e5, 1e6, 0.0])


def test_adaptive_coding_takes_the_best_modcod_the_link_allows():
    """DVB-S2 ACM over 10 MHz at roll-off 0.35 (7.41 Mbaud): QPSK 1/4 at low C/N0, 32APSK 9/10
    when the power is plentiful, and in between the MODCOD whose Es/N0 the link just meets."""
    link = LinkSpec(
        terminal={"diameter_m": 1, "rf_power_w": 1},
        frequency_hz=8.475e9,
        bandwidth_hz=10e6,
        coding="adaptive",
        implementation_loss_db=0.0,
        margin_db=0.0,
    )
    modes = link.rate_modes()
    baud = 10e6 / 1.35
    for entry in adaptive_schemes():
        # Exactly the C/N0 this MODCOD needs at full symbol rate: it, or better, is chosen.
        c_n0 = entry.required_es_n0_db + 10 * math.log10(baud)
        rate, chosen = best_rate_bps(c_n0 + 1e-9, modes, margin_db=0.0)
        assert float(rate) >= baud * entry.information_bits_per_symbol * (1 - 1e-9)
    rate, chosen = best_rate_bps(200.0, modes, margin_db=0.0)
    assert modes[int(chosen)].name == "dvb-s2-32apsk-9/10"
    assert float(rate) == pytest.approx(baud * 4.453027)


def test_the_modcod_table_holds_the_published_rows():
    # ETSI EN 302 307-1 Table 13: QPSK 1/2 needs Es/N0 1.00 dB at 0.988858 bit/symbol.
    qpsk = scheme("dvb-s2-qpsk-1/2")
    assert qpsk.required_es_n0_db == pytest.approx(1.00)
    assert qpsk.required_eb_n0_db == pytest.approx(1.00 - 10 * math.log10(0.988858))
    assert scheme("DVB-S2-32APSK-9/10").information_bits_per_symbol == 4.453027
    assert len(adaptive_schemes()) == 28
    # CCSDS turbo 1/6 on BPSK: 1/6 bit per symbol; on QPSK twice that, the same Eb/N0.
    bpsk, qpsk6 = scheme("ccsds-turbo-1/6-bpsk"), scheme("ccsds-turbo-1/6-qpsk")
    assert bpsk.bits_per_hz(0.35) == pytest.approx(1 / 6 / 1.35)
    assert qpsk6.information_bits_per_symbol == 2 * bpsk.information_bits_per_symbol
    assert qpsk6.required_eb_n0_db == bpsk.required_eb_n0_db
    assert all(entry.source for entry in schemes().values())


# ETSI EN 302 307-1 (DVB-S2), typed here apart from the module's table: Table 5a's BCH
# information lengths of the normal (64,800-bit) frame, and Table 13's ideal Es/N0 [dB].
_K_BCH = {"1/4": 16008, "1/3": 21408, "2/5": 25728, "1/2": 32208, "3/5": 38688,
          "2/3": 43040, "3/4": 48408, "4/5": 51648, "5/6": 53840, "8/9": 57472,
          "9/10": 58192}  # fmt: skip
_TABLE_13_ES_N0_DB = {
    "qpsk": {"1/4": -2.35, "1/3": -1.24, "2/5": -0.30, "1/2": 1.00, "3/5": 2.23,
             "2/3": 3.10, "3/4": 4.03, "4/5": 4.68, "5/6": 5.18, "8/9": 6.20, "9/10": 6.42},
    "8psk": {"3/5": 5.50, "2/3": 6.62, "3/4": 7.91, "5/6": 9.35, "8/9": 10.69, "9/10": 10.98},
    "16apsk": {"2/3": 8.97, "3/4": 10.21, "4/5": 11.03, "5/6": 11.61, "8/9": 12.89,
               "9/10": 13.13},
    "32apsk": {"3/4": 12.73, "4/5": 13.64, "5/6": 14.28, "8/9": 15.69, "9/10": 16.05},
}  # fmt: skip
_BITS_PER_SYMBOL = {"qpsk": 2, "8psk": 3, "16apsk": 4, "32apsk": 5}


def test_every_dvb_s2_row_against_the_standard_typed_apart():
    """Each MODCOD's bits per symbol from its frame (BCH information less the 80-bit header,
    over the symbols of 64,800 bits plus the 90-symbol header) and its Es/N0 from Table 13:
    a typo in either column of the module's table fails here."""
    rows = 0
    for modulation, rates in _TABLE_13_ES_N0_DB.items():
        for rate, es_n0_db in rates.items():
            entry = scheme(f"dvb-s2-{modulation}-{rate}")
            symbols = 64800 / _BITS_PER_SYMBOL[modulation] + 90
            efficiency = (_K_BCH[rate] - 80) / symbols
            assert entry.information_bits_per_symbol == pytest.approx(efficiency, abs=1e-6)
            assert entry.required_es_n0_db == pytest.approx(es_n0_db, abs=1e-9)
            rows += 1
    assert rows == len(adaptive_schemes()) == 28


def test_named_coding_sets_the_requirement_with_its_implementation_loss():
    link = LinkSpec(
        terminal={"diameter_m": 1, "rf_power_w": 1},
        frequency_hz=8.45e9,
        rate_steps_bps=[1e6],
        coding="ccsds-turbo-1/2-bpsk",
        implementation_loss_db=1.5,
    )
    (mode,) = link.rate_modes()
    assert mode.required_eb_n0_db == pytest.approx(1.0 + 1.5)
    assert math.isinf(mode.ceiling_bps)
    # A custom code keeps its free requirement (2.5 dB by default).
    custom = LinkSpec(
        terminal={"diameter_m": 1, "rf_power_w": 1}, frequency_hz=8.45e9, rate_steps_bps=[1e6]
    )
    assert custom.rate_modes()[0].required_eb_n0_db == 2.5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"coding": "dvb-s2-qpsk-7/7"}, "unknown coding 'dvb-s2-qpsk-7/7'"),
        ({"coding": "adaptive", "required_eb_n0_db": 2.0}, "leave required_eb_n0_db out"),
        ({"implementation_loss_db": 1.0}, "implementation_loss_db goes with a named coding"),
        ({"rate_steps_bps": None}, "give rate_steps_bps (the radio's rates) or bandwidth_hz"),
        ({"rate_steps_bps": None, "bandwidth_hz": 1e6}, "needs its spectral_efficiency"),
        ({"weather_availability": 0.9}, "weather_availability"),
        ({"bandwidth_hz": 1e6}, "bandwidth_hz bounds a custom code's rate only with its"),
        (
            {"weather_availability": 0.95, "frequency_hz": 6.0e10},
            "weather_availability needs a frequency the atmosphere model covers",
        ),
    ],
)
def test_contradictory_or_unbounded_links_are_refused(changes, message):
    fields = {
        "terminal": {"diameter_m": 1, "rf_power_w": 1},
        "frequency_hz": 8.45e9,
        "rate_steps_bps": [1e6],
    }
    fields.update(changes)
    fields = {key: value for key, value in fields.items() if value is not None}
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LinkSpec(**fields)


def test_attenuation_matches_itu_r_study_group_3_validation_examples():
    """ITU-R SG 3 validation examples for P.618-13 (CG-3M3J-13-ValEx, as carried in ITU-Rpy's
    test data; the figures and their source in data/authorities.yaml): London at 29 GHz,
    gases, clouds, rain and total exceeded 1 % of the year, rain and total at 0.1 %."""
    from ilrs.report import authorities

    published = authorities._authorities()["links"]
    for case, availability in authorities.P618_LONDON.items():
        expected = published[case]["parts"] | {"total": published[case]["reference"]}
        ours = authorities.p618_london_db(availability)
        for part, value_db in expected.items():
            assert float(ours[part]) == pytest.approx(value_db, abs=1e-3), (case, part)
    assert set(published["p618_london_29ghz_1pct_db"]["parts"]) == {"gas", "cloud", "rain"}


def test_sky_noise_and_the_penalty_by_hand():
    # P.618 section 3: 3 dB of absorption at 275 K radiates 275 * (1 - 0.5012) = 137.2 K.
    assert float(sky_noise_increase_k(3.0)) == pytest.approx(275 * (1 - 10**-0.3))
    # On a 60 K system: C/N0 falls by 3 dB plus 10 log10(197.2 / 60) = 5.17 dB.
    assert float(weather_penalty_db(3.0, 60.0)) == pytest.approx(
        3.0 + 10 * math.log10(1 + 275 * (1 - 10**-0.3) / 60)
    )
    assert float(weather_penalty_db(0.0, 60.0)) == 0.0


def test_attenuation_grows_toward_the_horizon_and_with_availability():
    table95 = atmosphere_table(40.0, 76.0, 1300.0, 26e9, 0.95, antenna_diameter_m=35)
    table99 = atmosphere_table(40.0, 76.0, 1300.0, 26e9, 0.99, antenna_diameter_m=35)
    low, high = table95.attenuation_at_db([10.0, 60.0])
    assert low > high > 0
    assert np.all(table99.attenuation_db >= table95.attenuation_db - 1e-9)
    # The table read between its rows agrees with the model itself.
    direct = slant_attenuation_db(40.0, 76.0, 1300.0, 26e9, 23.3, 0.95, antenna_diameter_m=35)
    assert float(table95.attenuation_at_db(23.3)) == pytest.approx(float(direct["total"]), abs=0.02)


def test_the_reference_ka_link_loses_c_over_n0_to_the_weather_and_a_power_limited_one_rate():
    """The reference relay->Earth Ka link at 95 % weather: ITU-R P.618 at Kashi takes
    attenuation and sky noise off its C/N0 (several dB at 20 deg). The reference link is
    bandwidth-limited (100 MHz), so its rate holds; the same link 40 dB weaker is
    power-limited, and its rate falls against the clear sky by the penalty exactly."""
    from ilrs.sky.stations import ground_station

    reference = _reference()
    relay = reference.orbital.relays[0].to_earth
    assert relay.weather_availability == 0.95
    kashi_spec = next(s for s in reference.ground.stations if s.name == "kashi")
    lat, lon, height = ground_station("kashi").geodetic
    table = atmosphere_table(lat, lon, height, relay.frequency_hz, 0.95, antenna_diameter_m=35)
    penalty = float(table.penalty_at_db(20.0, kashi_spec.terminal.system_noise_temperature_k))
    assert penalty > 2.0
    c_n0 = c_over_n0_dbhz(
        _terminal(relay.terminal, "relay"),
        _terminal(kashi_spec.terminal, "kashi"),
        distance_m=4.0e8,
        frequency_hz=relay.frequency_hz,
    )
    weak = relay.model_copy(update={"rate_steps_bps": None})
    clear, _ = best_rate_bps(c_n0 - 40.0, weak.rate_modes(), margin_db=3.0)
    rainy, _ = best_rate_bps(c_n0 - 40.0 - penalty, weak.rate_modes(), margin_db=3.0)
    assert float(rainy) < float(clear)
    assert float(clear) / float(rainy) == pytest.approx(10 ** (penalty / 10), rel=1e-6)
