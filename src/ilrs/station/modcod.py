"""Modulations and codes: how many information bits each sends per hertz, and the Eb/N0
it needs, with the source of each row.

A scheme sends ``information_bits_per_symbol`` (modulation order times code rate, less
framing where the standard counts it) per channel symbol. Filtered with a root-raised-cosine
of roll-off ``alpha`` its spectrum occupies ``(1 + alpha)`` hertz per symbol per second, so
within an allocated bandwidth ``B`` the information rate is at most::

    R <= B * information_bits_per_symbol / (1 + alpha)

(:meth:`Scheme.bits_per_hz`). The required Eb/N0 is the ideal one of the source (no
implementation loss): a link adds its own implementation loss on top.

Sources
-------
DVB-S2: ETSI EN 302 307-1 V1.4.1 (2014), Table 13: spectral efficiency (information bits per
symbol, normal 64 800-bit FECFRAME, no pilots) and ideal Es/N0 on the AWGN channel at a
packet error rate of 1e-7; Eb/N0 = Es/N0 - 10 log10(efficiency).
CCSDS: TM Synchronization and Channel Coding, CCSDS 131.0-B (the codes) and its Summary of
Concept and Rationale, CCSDS 130.1-G-2 (2012): turbo codes of 8920-bit frames (figure 7-9,
JPL DSN decoder, 10 iterations) and the AR4JA LDPC codes of 16384-bit frames and the
(8160, 7136) C2 code (section 8); required Eb/N0 at a bit error rate of 1e-6 read off those
curves (to about 0.2 dB). BPSK carries one code symbol per channel symbol, QPSK two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from ilrs.errors import UnknownNameError

__all__ = ["ADAPTIVE", "Scheme", "adaptive_schemes", "scheme", "schemes"]

ADAPTIVE = "adaptive"  # DVB-S2 adaptive coding and modulation: the best MODCOD at each step

_DVB_S2 = "ETSI EN 302 307-1 V1.4.1 (2014), Table 13 (ideal Es/N0, PER 1e-7, 64 800-bit frames)"
_TURBO = "CCSDS 130.1-G-2 (2012), figure 7-9 (turbo, 8920-bit frames, BER 1e-6), read off"
_LDPC = "CCSDS 130.1-G-2 (2012), section 8 (LDPC, BER 1e-6), read off"

# DVB-S2: (modulation, code rate, information bits per symbol, ideal Es/N0 [dB]).
_DVB_S2_ROWS = (
    ("QPSK", "1/4", 0.490243, -2.35),
    ("QPSK", "1/3", 0.656448, -1.24),
    ("QPSK", "2/5", 0.789412, -0.30),
    ("QPSK", "1/2", 0.988858, 1.00),
    ("QPSK", "3/5", 1.188304, 2.23),
    ("QPSK", "2/3", 1.322253, 3.10),
    ("QPSK", "3/4", 1.487473, 4.03),
    ("QPSK", "4/5", 1.587196, 4.68),
    ("QPSK", "5/6", 1.654663, 5.18),
    ("QPSK", "8/9", 1.766451, 6.20),
    ("QPSK", "9/10", 1.788612, 6.42),
    ("8PSK", "3/5", 1.779991, 5.50),
    ("8PSK", "2/3", 1.980636, 6.62),
    ("8PSK", "3/4", 2.228124, 7.91),
    ("8PSK", "5/6", 2.478562, 9.35),
    ("8PSK", "8/9", 2.646012, 10.69),
    ("8PSK", "9/10", 2.679207, 10.98),
    ("16APSK", "2/3", 2.637201, 8.97),
    ("16APSK", "3/4", 2.966728, 10.21),
    ("16APSK", "4/5", 3.165623, 11.03),
    ("16APSK", "5/6", 3.300184, 11.61),
    ("16APSK", "8/9", 3.523143, 12.89),
    ("16APSK", "9/10", 3.567342, 13.13),
    ("32APSK", "3/4", 3.703295, 12.73),
    ("32APSK", "4/5", 3.951571, 13.64),
    ("32APSK", "5/6", 4.119540, 14.28),
    ("32APSK", "8/9", 4.397854, 15.69),
    ("32APSK", "9/10", 4.453027, 16.05),
)

# CCSDS: (name, code rate, required Eb/N0 [dB] at BER 1e-6, source). Each code is offered
# on BPSK and on Gray-coded QPSK (``-bpsk``, ``-qpsk``): the same Eb/N0, twice the bits per
# symbol (QPSK is two BPSK channels in quadrature).
_CCSDS_ROWS = (
    ("ccsds-turbo-1/2", "1/2", 1.0, _TURBO),
    ("ccsds-turbo-1/3", "1/3", 0.5, _TURBO),
    ("ccsds-turbo-1/4", "1/4", 0.3, _TURBO),
    ("ccsds-turbo-1/6", "1/6", 0.1, _TURBO),
    ("ccsds-ldpc-1/2", "1/2", 1.1, _LDPC + " (AR4JA, k = 16384)"),
    ("ccsds-ldpc-2/3", "2/3", 1.8, _LDPC + " (AR4JA, k = 16384)"),
    ("ccsds-ldpc-4/5", "4/5", 2.8, _LDPC + " (AR4JA, k = 16384)"),
    ("ccsds-ldpc-7/8", "7136/8160", 4.2, _LDPC + " (C2, (8160, 7136))"),
)
_BITS_PER_SYMBOL = {"BPSK": 1, "QPSK": 2, "8PSK": 3, "16APSK": 4, "32APSK": 5}


@dataclass(frozen=True)
class Scheme:
    """One modulation and code: its information bits per channel symbol and the Eb/N0 it
    needs (ideal, at ``error_rate``)."""

    name: str
    family: str
    modulation: str
    code_rate: str
    information_bits_per_symbol: float
    required_eb_n0_db: float
    error_rate: str
    source: str

    @property
    def required_es_n0_db(self) -> float:
        """Es/N0 [dB] it needs: Eb/N0 plus the information bits per symbol in dB."""
        return self.required_eb_n0_db + 10.0 * math.log10(self.information_bits_per_symbol)

    def bits_per_hz(self, roll_off: float) -> float:
        """Information bit/s per hertz of occupied bandwidth, filtered with ``roll_off``."""
        return self.information_bits_per_symbol / (1.0 + roll_off)


def _ratio(text: str) -> float:
    top, bottom = text.split("/")
    return int(top) / int(bottom)


@cache
def schemes() -> dict[str, Scheme]:
    """Every named scheme, by name (``dvb-s2-qpsk-1/2``, ``ccsds-turbo-1/6-bpsk`` ...)."""
    table = {}
    for modulation, rate, efficiency, es_n0_db in _DVB_S2_ROWS:
        name = f"dvb-s2-{modulation.lower()}-{rate}"
        table[name] = Scheme(
            name,
            "DVB-S2",
            modulation,
            rate,
            efficiency,
            es_n0_db - 10.0 * math.log10(efficiency),
            "PER 1e-7",
            _DVB_S2,
        )
    for base, rate, eb_n0_db, source in _CCSDS_ROWS:
        for modulation in ("BPSK", "QPSK"):
            name = f"{base}-{modulation.lower()}"
            bits = _BITS_PER_SYMBOL[modulation] * _ratio(rate)
            table[name] = Scheme(
                name, "CCSDS", modulation, rate, bits, eb_n0_db, "BER 1e-6", source
            )
    return table


def adaptive_schemes() -> list[Scheme]:
    """The schemes ``adaptive`` chooses among: DVB-S2's MODCODs (ACM)."""
    return [entry for entry in schemes().values() if entry.family == "DVB-S2"]


def scheme(name: str) -> Scheme:
    """A scheme by name; the error lists the known names."""
    key = name.strip().lower()
    known = schemes()
    if key not in known:
        raise UnknownNameError(f"unknown coding {name!r}; known: {ADAPTIVE}, {', '.join(known)}")
    return known[key]
