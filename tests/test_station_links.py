"""Radio link budgets against closed forms and published link budget tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.station.links import (
    BOLTZMANN_DBW_HZ_K,
    Antenna,
    LinkBudget,
    Terminal,
    c_over_n0_dbhz,
    combine_c_over_n0_dbhz,
    free_space_loss_db,
    link_budget,
    max_rate_bps,
    parabolic_gain_dbi,
)

C_M_S = 299_792_458.0


def test_boltzmann_constant_in_decibels():
    # k = 1.380649e-23 J/K exactly (SI 2019): 10 log10(k) = -228.5992 dBW/Hz/K.
    assert math.isclose(BOLTZMANN_DBW_HZ_K, -228.5992, abs_tol=1e-4)


# --- (1) free-space loss ---------------------------------------------------------------


def test_free_space_loss_earth_moon_x_band_by_hand():
    """384 400 km (mean Earth-Moon distance) at 8.45 GHz.

    4 pi d f / c = 4 pi * 3.844e8 m * 8.45e9 Hz / 299 792 458 m/s = 1.36152e11,
    and 20 log10(1.36152e11) = 222.680 dB.
    """
    by_hand_db = 20.0 * math.log10(4.0 * math.pi * 3.844e8 * 8.45e9 / C_M_S)
    assert by_hand_db == pytest.approx(222.680, abs=1e-3)
    assert free_space_loss_db(3.844e8, 8.45e9) == pytest.approx(by_hand_db, abs=1e-9)
    # The engineers' rule, FSL = 92.45 + 20 log10(d / km) + 20 log10(f / GHz), to 0.01 dB.
    rule_db = 92.45 + 20.0 * math.log10(384_400.0) + 20.0 * math.log10(8.45)
    assert free_space_loss_db(3.844e8, 8.45e9) == pytest.approx(rule_db, abs=0.01)


def test_free_space_loss_is_vectorised_over_distance():
    distances_m = np.array([[1.0e6, 3.844e8], [4.0e8, 1.5e11]])
    losses_db = free_space_loss_db(distances_m, 2.2e9)
    assert isinstance(losses_db, np.ndarray)
    assert losses_db.shape == distances_m.shape
    for distance_m, loss_db in zip(distances_m.flat, losses_db.flat, strict=True):
        assert loss_db == pytest.approx(free_space_loss_db(float(distance_m), 2.2e9))
    assert isinstance(free_space_loss_db(1.0e6, 2.2e9), float)
    # Doubling the distance costs 20 log10(2) = 6.0206 dB.
    assert free_space_loss_db(2.0e6, 2.2e9) - free_space_loss_db(1.0e6, 2.2e9) == pytest.approx(
        6.0206, abs=1e-4
    )


# --- (2) dish gain ---------------------------------------------------------------------


def test_parabolic_gain_35_m_dish_at_8_4_ghz_by_hand():
    """A 35 m dish (Kashi, Neuquen) at 8.4 GHz with 55 % aperture efficiency.

    lambda = 299 792 458 / 8.4e9 = 0.0356896 m; pi D / lambda = 3080.88;
    0.55 * 3080.88^2 = 5.2205e6, i.e. 67.177 dBi.
    """
    wavelength_m = C_M_S / 8.4e9
    by_hand_dbi = 10.0 * math.log10(0.55 * (math.pi * 35.0 / wavelength_m) ** 2)
    assert by_hand_dbi == pytest.approx(67.177, abs=1e-3)
    assert parabolic_gain_dbi(35.0, 8.4e9, efficiency=0.55) == pytest.approx(by_hand_dbi, abs=1e-9)
    assert parabolic_gain_dbi(35.0, 8.4e9) == pytest.approx(by_hand_dbi, abs=1e-9)  # default 0.55


def test_earth_station_g_over_t_published_example():
    """Earth station G/T: Example 4.3.4 of lecture notes by Prof. Jeffrey S. Fu that follow
    Pratt, Bostian & Allnutt, *Satellite Communications* (2nd ed.), chapter 4
    (https://www.scribd.com/document/364026034/sand-notes).

    As printed: a 30 m antenna, overall efficiency 68 %, at 4150 MHz (lambda = 0.0723 m):
    G = 1.16e6 or 60.6 dB; system noise temperature 79 K (19.0 dBK) gives G/T = 41.6 dB/K;
    in heavy rain 88 K (19.4 dBK) gives 41.2 dB/K.
    """
    dish = Terminal("30 m earth station", diameter_m=30.0, efficiency=0.68)
    assert dish.gain_at_dbi(4150e6) == pytest.approx(60.6, abs=0.05)
    clear = Terminal(
        "30 m earth station", diameter_m=30.0, efficiency=0.68, system_noise_temperature_k=79.0
    )
    rain = Terminal(
        "30 m earth station", diameter_m=30.0, efficiency=0.68, system_noise_temperature_k=88.0
    )
    assert clear.g_over_t_db_k(4150e6) == pytest.approx(41.6, abs=0.1)
    assert rain.g_over_t_db_k(4150e6) == pytest.approx(41.2, abs=0.1)


def test_fixed_gain_antenna_ignores_frequency_and_dish_gain_grows_as_f_squared():
    patch = Antenna(gain_dbi=6.0)
    assert patch.gain_at_dbi(2.2e9) == patch.gain_at_dbi(8.4e9) == 6.0
    dish = Antenna(diameter_m=1.0, efficiency=0.6)
    assert dish.gain_at_dbi(8.4e9) - dish.gain_at_dbi(4.2e9) == pytest.approx(6.0206, abs=1e-4)
    terminal = Terminal("lander", diameter_m=1.0, efficiency=0.6)
    assert terminal.antenna == dish
    assert terminal.gain_at_dbi(8.4e9) == dish.gain_at_dbi(8.4e9)


# --- (3) published link budgets --------------------------------------------------------


def test_noaa_emwin_n_link_budget_reproduced():
    """NOAA National Weather Service, "EMWIN-N link budget" (EMWIN relayed by a GOES-N
    satellite), http://www.nws.noaa.gov/emwin/emwin-n-link-budget.htm: the whole table.

    As printed (dBmi and dBm are decibels above 1 mW; dBW = dBm - 30):

    - data rate 9600 bit/s (BPSK, convolutional + Reed-Solomon coding);
    - uplink: 2034.70 MHz; ground transmit EIRP 76.7 dBmi; antenna pointing loss 0.5 dB;
      path distance (5 deg elevation) 41127 km; free-space loss 190.9 dB; atmospheric
      attenuation 0.4 dB; polarisation loss 0.2 dB; U/L incident power -115.3 dBmi;
      spacecraft antenna gain 14.8 dBi; G/T -14.2 dB/K; Boltzmann -198.6 dBm/Hz/K;
      uplink thermal C/No 69.1 dB/Hz;
    - downlink: 1692.70 MHz; spacecraft transmit EIRP 44.8 dBmi; path distance 41127 km;
      free-space loss 189.3 dB; atmospheric attenuation 0.4 dB; earth station G/T -0.3 dB/K;
      polarisation loss 0.2 dB; downlink thermal C/No 53.2 dB/Hz;
    - overall composite C/No 53.1 dB/Hz; data rate 39.8 dB-Hz; Eb/No calculated 13.3 dB;
      required Eb/No 5.6 dB (2.6 theoretical + 2.0 ground implementation loss + 1.0 satellite
      degradations); Eb/No margin 7.7 dB.

    The table gives EIRPs, not power and gain, so each transmitter is its EIRP into a 0 dBi
    antenna. It gives the spacecraft's gain (14.8 dBi) and G/T (-14.2 dB/K), hence its system
    temperature 10^((14.8 + 14.2) / 10) = 794 K. For the earth station it gives only G/T; C/N0
    depends on G/T alone, so any split of it into gain and temperature serves (two are tried).
    """
    distance_m = 41_127e3
    uplink_hz, downlink_hz = 2034.70e6, 1692.70e6
    ground_tx = Terminal(
        "EMWIN uplink station", gain_dbi=0.0, rf_power_w=10 ** ((76.7 - 30) / 10), losses_db=0.5
    )
    goes_rx = Terminal(
        "GOES-N receive", gain_dbi=14.8, system_noise_temperature_k=10 ** ((14.8 + 14.2) / 10)
    )
    up = link_budget(
        ground_tx,
        goes_rx,
        distance_m=distance_m,
        frequency_hz=uplink_hz,
        data_rate_bps=9600.0,
        required_eb_n0_db=5.6,
        other_losses_db=0.4 + 0.2,
    )
    assert up.free_space_loss_db == pytest.approx(190.9, abs=0.05)
    assert up.g_over_t_db_k == pytest.approx(-14.2, abs=1e-9)
    incident_dbw = up.eirp_dbw - up.free_space_loss_db - up.other_losses_db
    assert incident_dbw + 30 == pytest.approx(-115.3, abs=0.05)
    assert up.c_over_n0_dbhz == pytest.approx(69.1, abs=0.05)

    goes_tx = Terminal("GOES-N transmit", gain_dbi=0.0, rf_power_w=10 ** ((44.8 - 30) / 10))
    downs = []
    for temperature_k in (100.0, 290.0):  # any split of G/T = -0.3 dB/K
        ground_rx = Terminal(
            "EMWIN receive station",
            gain_dbi=-0.3 + 10 * math.log10(temperature_k),
            system_noise_temperature_k=temperature_k,
        )
        downs.append(
            link_budget(
                goes_tx,
                ground_rx,
                distance_m=distance_m,
                frequency_hz=downlink_hz,
                data_rate_bps=9600.0,
                required_eb_n0_db=5.6,
                other_losses_db=0.4 + 0.2,
            )
        )
    down = downs[0]
    assert downs[1].c_over_n0_dbhz == pytest.approx(down.c_over_n0_dbhz, abs=1e-9)
    assert down.free_space_loss_db == pytest.approx(189.3, abs=0.05)
    assert down.c_over_n0_dbhz == pytest.approx(53.2, abs=0.05)
    assert down.data_rate_dbhz == pytest.approx(39.8, abs=0.05)

    composite_dbhz = combine_c_over_n0_dbhz(up.c_over_n0_dbhz, down.c_over_n0_dbhz)
    assert composite_dbhz == pytest.approx(53.1, abs=0.05)
    eb_n0_db = composite_dbhz - down.data_rate_dbhz
    assert eb_n0_db == pytest.approx(13.3, abs=0.1)
    assert eb_n0_db - 5.6 == pytest.approx(7.7, abs=0.1)


def test_eurasip_s_band_downlink_budget_reproduced():
    """Table 1, "Primary user link budget (QPSK coded FEC R = 1/2)", of "On the feasibility
    of a secondary service transmission over an existent satellite infrastructure: design
    and analysis", EURASIP Journal on Wireless Communications and Networking (2020),
    doi:10.1186/s13638-020-01674-9
    (https://jwcn-eurasipjournals.springeropen.com/articles/10.1186/s13638-020-01674-9/tables/1).

    As printed: frequency 2200 MHz; throughput 3.4 Mbps; transmitted power 1000 mW; satellite
    carrier EIRP 38.3 dBm; free space loss -162.2 dB; depointing loss -10 dB; earth station
    antenna max gain (5 m, efficiency 50 %) 38.2 dBi; system noise temperature 130 K;
    C/N0 81.8 dB-Hz; Eb/N0 16.5 dB; demodulation losses -6 dB; Eb/N0 required (BER 1e-5)
    7 dB; margin 3.5 dB.

    The table prints the free-space loss but not the distance, so the distance is the one
    that gives 162.2 dB at 2200 MHz (about 1397 km). The satellite antenna gain is its EIRP
    less its power: 38.3 dBm - 30 dBm = 8.3 dBi. The demodulation loss joins the requirement.
    """
    distance_m = C_M_S / (4 * math.pi * 2200e6) * 10 ** (162.2 / 20)
    satellite = Terminal("satellite", gain_dbi=8.3, rf_power_w=1.0)
    earth_station = Terminal(
        "5 m earth station", diameter_m=5.0, efficiency=0.5, system_noise_temperature_k=130.0
    )
    budget = link_budget(
        satellite,
        earth_station,
        distance_m=distance_m,
        frequency_hz=2200e6,
        data_rate_bps=3.4e6,
        required_eb_n0_db=7.0 + 6.0,
        other_losses_db=10.0,
    )
    assert budget.eirp_dbw + 30 == pytest.approx(38.3, abs=1e-9)
    assert budget.free_space_loss_db == pytest.approx(162.2, abs=1e-9)
    assert budget.receive_gain_dbi == pytest.approx(38.2, abs=0.05)
    assert budget.c_over_n0_dbhz == pytest.approx(81.8, abs=0.05)
    assert budget.eb_n0_db == pytest.approx(16.5, abs=0.05)
    assert budget.margin_db == pytest.approx(3.5, abs=0.05)


def test_link_budget_lines_add_up_and_print():
    lander = Terminal("lander", diameter_m=0.6, rf_power_w=20.0, losses_db=1.5)
    kashi = Terminal("Kashi 35 m", diameter_m=35.0, system_noise_temperature_k=40.0, losses_db=0.3)
    budget = link_budget(
        lander,
        kashi,
        distance_m=3.9e8,
        frequency_hz=8.45e9,
        data_rate_bps=2.0e6,
        required_eb_n0_db=2.5,
        other_losses_db=0.7,
    )
    assert isinstance(budget, LinkBudget)
    assert budget.eirp_dbw == pytest.approx(
        budget.transmit_power_dbw + budget.transmit_gain_dbi - budget.transmit_losses_db
    )
    assert budget.transmit_power_dbw == pytest.approx(10 * math.log10(20.0))
    assert budget.g_over_t_db_k == pytest.approx(
        budget.receive_gain_dbi - budget.receive_losses_db - budget.system_noise_temperature_db_k
    )
    assert budget.c_over_n0_dbhz == pytest.approx(
        budget.eirp_dbw
        - budget.free_space_loss_db
        - budget.other_losses_db
        + budget.g_over_t_db_k
        - BOLTZMANN_DBW_HZ_K
    )
    assert budget.c_over_n0_dbhz == pytest.approx(
        c_over_n0_dbhz(lander, kashi, distance_m=3.9e8, frequency_hz=8.45e9, other_losses_db=0.7)
    )
    assert budget.eb_n0_db == pytest.approx(budget.c_over_n0_dbhz - 10 * math.log10(2.0e6))
    assert budget.margin_db == pytest.approx(budget.eb_n0_db - 2.5)
    rows = budget.as_rows()
    items = [item for item, _, _ in rows]
    assert items[0] == "frequency" and items[-1] == "margin"
    assert ("margin", budget.margin_db, "dB") in rows
    assert ("EIRP", budget.eirp_dbw, "dBW") in rows
    assert all(isinstance(value, float) and math.isfinite(value) for _, value, _ in rows)


def test_budget_rows_leave_out_unknown_lines():
    budget = LinkBudget(
        eirp_dbw=10.0,
        free_space_loss_db=200.0,
        other_losses_db=1.0,
        receive_gain_dbi=60.0,
        system_noise_temperature_db_k=20.0,
        g_over_t_db_k=40.0,
        c_over_n0_dbhz=77.6,
        data_rate_dbhz=60.0,
        eb_n0_db=17.6,
        required_eb_n0_db=4.0,
        margin_db=13.6,
    )
    items = [item for item, _, _ in budget.as_rows()]
    assert "distance" not in items and "transmit power" not in items
    assert items[0] == "EIRP"


def test_combining_hops_is_below_the_weakest():
    # Two equal hops: twice the noise, 3.01 dB down.
    assert combine_c_over_n0_dbhz(60.0, 60.0) == pytest.approx(60.0 - 3.0103, abs=1e-4)
    assert combine_c_over_n0_dbhz(55.0) == pytest.approx(55.0)
    combined = combine_c_over_n0_dbhz(np.array([50.0, 70.0]), 60.0)
    assert combined.shape == (2,)
    assert np.all(combined < np.minimum([50.0, 70.0], 60.0))


# --- (4) the highest data rate ---------------------------------------------------------

# 10 W into a 0 dBi antenna (EIRP 10 dBW) to a receiver of G/T 20 dB/K (40 dBi at 100 K),
# at 2 GHz, requiring Eb/N0 3 dB plus a 3 dB margin.
SOURCE = Terminal("source", gain_dbi=0.0, rf_power_w=10.0)
SINK = Terminal("sink", gain_dbi=40.0, system_noise_temperature_k=100.0)
STEPS_BPS = [64e3, 1e3, 2e3, 4e3, 8e3, 16e3, 32e3]  # any order


def _carried_bps(distance_m: float) -> float:
    """The highest rate carried, by hand: Eb/N0 = C/N0 - 10 log10(R) >= 3 + 3 dB."""
    path_db = 20 * math.log10(4 * math.pi * distance_m * 2e9 / C_M_S)
    c_n0_dbhz = 10.0 - path_db + 20.0 - 10 * math.log10(1.380649e-23)
    return 10 ** ((c_n0_dbhz - 6.0) / 10)


def _max_rate(distance_m):
    return max_rate_bps(
        SOURCE,
        SINK,
        distance_m=distance_m,
        frequency_hz=2e9,
        rate_steps_bps=STEPS_BPS,
        required_eb_n0_db=3.0,
        margin_db=3.0,
    )


def test_max_rate_picks_the_step_at_near_and_far_distances():
    # At the Moon's 384 400 km: C/N0 = 10 - 210.17 + 20 + 228.60 = 48.43 dBHz, so rates up to
    # 10^((48.43 - 6) / 10) = 17.5 kbit/s are carried: the 16 kbit/s step.
    assert _carried_bps(3.844e8) == pytest.approx(17.5e3, rel=0.01)
    distances_m = np.array([0.25 * 3.844e8, 3.844e8, 2 * 3.844e8, 100 * 3.844e8])
    rates = _max_rate(distances_m)
    # A quarter of the way: +12.04 dB, 280 kbit/s, above the top step (64 kbit/s).
    # Twice as far: -6.02 dB, 4.4 kbit/s: the 4 kbit/s step. A hundred times: 1.75 bit/s: none.
    np.testing.assert_array_equal(rates, [64e3, 16e3, 4e3, 0.0])
    assert rates.shape == distances_m.shape
    assert _max_rate(3.844e8).shape == ()
    assert float(_max_rate(3.844e8)) == 16e3


def test_max_rate_switches_exactly_where_the_margin_runs_out():
    for step_bps, lower_bps in ((16e3, 8e3), (1e3, 0.0)):
        # The distance at which this step just meets 3 + 3 dB: C/N0 falls as 20 log10(d).
        reach_m = 3.844e8 * math.sqrt(_carried_bps(3.844e8) / step_bps)
        assert float(_max_rate(reach_m * 0.999)) == step_bps
        assert float(_max_rate(reach_m * 1.001)) == lower_bps


def test_max_rate_is_monotone_in_distance_and_grows_with_margin_lowered():
    distances_m = np.geomspace(1e6, 1e11, 500)
    rates = _max_rate(distances_m)
    assert np.all(np.diff(rates) <= 0)
    assert rates[0] == 64e3 and rates[-1] == 0.0
    assert set(np.unique(rates)) <= {0.0, *STEPS_BPS}
    without_margin = max_rate_bps(
        SOURCE,
        SINK,
        distance_m=distances_m,
        frequency_hz=2e9,
        rate_steps_bps=STEPS_BPS,
        required_eb_n0_db=3.0,
        margin_db=0.0,
    )
    assert np.all(without_margin >= rates)


# --- (5) bad inputs ----------------------------------------------------------------------


def test_terminal_error_names_the_terminal_and_field():
    with pytest.raises(
        InputError, match=r"terminal 'Kashi 35 m': diameter_m must be positive, got -3$"
    ):
        Terminal("Kashi 35 m", diameter_m=-3)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"diameter_m": 0.0}, "diameter_m must be positive"),
        ({"diameter_m": math.nan}, "diameter_m must be finite"),
        ({"diameter_m": 1.0, "efficiency": 0.0}, r"efficiency must be in \(0, 1\], got 0"),
        ({"diameter_m": 1.0, "efficiency": 1.2}, r"efficiency must be in \(0, 1\], got 1.2"),
        ({}, "give diameter_m .* or gain_dbi .*neither"),
        ({"diameter_m": 35.0, "gain_dbi": 68.0}, "give diameter_m or gain_dbi, not both"),
        ({"gain_dbi": math.inf}, "gain_dbi must be finite"),
        ({"gain_dbi": 3.0, "rf_power_w": -1.0}, "rf_power_w must be zero or positive, got -1"),
        ({"gain_dbi": 3.0, "system_noise_temperature_k": -5}, "system_noise_temperature_k"),
        ({"gain_dbi": 3.0, "losses_db": -0.5}, "losses_db must be zero or positive"),
    ],
)
def test_bad_terminals_are_refused(kwargs, field):
    with pytest.raises(InputError, match=f"terminal 'T': {field}"):
        Terminal("T", **kwargs)


def test_antenna_needs_one_of_diameter_and_gain():
    with pytest.raises(InputError, match="antenna: give diameter_m"):
        Antenna()
    with pytest.raises(InputError, match="antenna: efficiency"):
        Antenna(diameter_m=2.0, efficiency=1.5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: free_space_loss_db(-3.0, 8.4e9), "distance_m must be positive, got -3"),
        (
            lambda: free_space_loss_db([1e6, 0.0], 8.4e9),
            "distance_m must be positive, got 0 at index 1",
        ),
        (lambda: free_space_loss_db(1e6, 0.0), "frequency_hz must be positive, got 0"),
        (lambda: free_space_loss_db(1e6, "high"), "frequency_hz must be a number"),
        (lambda: parabolic_gain_dbi(-1.0, 8.4e9), "diameter_m must be positive, got -1"),
        (lambda: parabolic_gain_dbi(1.0, -8.4e9), "frequency_hz must be positive"),
        (lambda: parabolic_gain_dbi(1.0, 8.4e9, efficiency=2.0), "efficiency must be in"),
        (lambda: Antenna(gain_dbi=3.0).gain_at_dbi(0.0), "frequency_hz must be positive"),
    ],
)
def test_bad_physics_inputs_are_refused(call, message):
    with pytest.raises(InputError, match=message):
        call()


def _budget(**changes):
    arguments = {
        "distance_m": 3.844e8,
        "frequency_hz": 8.45e9,
        "data_rate_bps": 1e6,
        "required_eb_n0_db": 2.5,
    }
    arguments.update(changes)
    transmitter = arguments.pop("transmitter", Terminal("lander", gain_dbi=30.0, rf_power_w=20.0))
    receiver = arguments.pop(
        "receiver", Terminal("Kashi 35 m", diameter_m=35.0, system_noise_temperature_k=40.0)
    )
    return link_budget(transmitter, receiver, **arguments)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"distance_m": -3.0}, "distance_m must be positive, got -3"),
        ({"distance_m": [1e8, 2e8]}, "one distance_m"),
        ({"frequency_hz": 0.0}, "frequency_hz must be positive"),
        ({"data_rate_bps": 0.0}, "data_rate_bps must be positive, got 0"),
        ({"data_rate_bps": -9600.0}, "data_rate_bps must be positive"),
        ({"required_eb_n0_db": math.nan}, "required_eb_n0_db must be finite"),
        ({"other_losses_db": -1.0}, "other_losses_db must be zero or positive"),
        (
            {"transmitter": Terminal("Kashi 35 m", diameter_m=35.0)},
            "terminal 'Kashi 35 m': rf_power_w must be positive to transmit, got 0",
        ),
        (
            {"receiver": Terminal("lander", gain_dbi=30.0, rf_power_w=20.0)},
            "terminal 'lander': system_noise_temperature_k must be positive to receive, got 0",
        ),
    ],
)
def test_bad_budget_inputs_are_refused(changes, message):
    with pytest.raises(InputError, match=message):
        _budget(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rate_steps_bps": []}, "rate_steps_bps must be a non-empty"),
        ({"rate_steps_bps": [1e3, -2e3]}, "rate_steps_bps must be positive, got -2000 at index 1"),
        ({"rate_steps_bps": [1e3, 0.0]}, "rate_steps_bps must be positive"),
        ({"distance_m": [1e8, -1.0]}, "distance_m must be positive, got -1 at index 1"),
        ({"distance_m": [1e8, math.nan]}, "distance_m must be finite, got nan at index 1"),
        ({"frequency_hz": -2e9}, "frequency_hz must be positive"),
        ({"margin_db": math.inf}, "margin_db must be finite"),
    ],
)
def test_bad_rate_inputs_are_refused(changes, message):
    arguments = {
        "distance_m": [1e8, 2e8],
        "frequency_hz": 2e9,
        "rate_steps_bps": STEPS_BPS,
        "required_eb_n0_db": 3.0,
    }
    arguments.update(changes)
    with pytest.raises(InputError, match=message):
        max_rate_bps(SOURCE, SINK, **arguments)
