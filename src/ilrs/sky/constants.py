"""Physical constants of the sky engine, each with its source. Depends on nothing."""

SPEED_OF_LIGHT_M_S = 299_792_458.0  # exact, SI definition of the metre (CGPM 1983)

MOON_RADIUS_M = 1_737_400.0  # IAU/IAG mean radius; the LOLA reference sphere (DESIGN.md)
SUN_RADIUS_M = 695_700_000.0  # nominal solar radius, IAU 2015 Resolution B3
EARTH_EQUATORIAL_RADIUS_M = 6_378_137.0  # WGS84 / GRS80 semi-major axis

SECONDS_PER_DAY = 86_400.0
J2000_JD = 2_451_545.0  # Julian date of J2000.0 (2000-01-01T12:00:00 TT), IAU 1976
TT_MINUS_TAI_S = 32.184  # IAU 1991 Resolution A4 (TT = TAI + 32.184 s)

# Mean rotation rate of the Earth, for the velocity of a ground station (IERS Conventions
# 2010, Table 1.1, nominal value).
EARTH_ROTATION_RATE_RAD_S = 7.292115e-5

# NAIF integer ids of the bodies the engine knows (NAIF "NAIF IDs" required reading).
NAIF_ID = {
    "sun": 10,
    "mercury": 199,
    "venus": 299,
    "earth": 399,
    "moon": 301,
    "mars": 499,
    "jupiter": 5,  # barycentres for the outer planets, as DE421 carries them
    "saturn": 6,
    "uranus": 7,
    "neptune": 8,
    "pluto": 9,
}

# Mean radii for angular size, metres. Sun and Earth as above; planets: IAU WGCCRE 2015
# (Archinal et al. 2018, Celest. Mech. Dyn. Astr. 130:22, doi:10.1007/s10569-017-9805-5).
BODY_RADIUS_M = {
    "sun": SUN_RADIUS_M,
    "earth": EARTH_EQUATORIAL_RADIUS_M,
    "moon": MOON_RADIUS_M,
    "mercury": 2_439_400.0,
    "venus": 6_051_800.0,
    "mars": 3_389_500.0,
    "jupiter": 69_911_000.0,
    "saturn": 58_232_000.0,
    "uranus": 25_362_000.0,
    "neptune": 24_622_000.0,
    "pluto": 1_188_300.0,
}

# Period of the regression of the Moon's nodes, 6798.38 days (18.61 years): the cycle of
# the Sun's latitude seen from the Moon, so "permanently" shadowed means over this (the
# standard mean value of the nodal period).
NODAL_CYCLE_DAYS = 6798.38
