"""Station: the scenario schema of the surface, orbital and ground segments, and the
time-stepped simulation of power, communications and ISRU. Built on ``ilrs.environment``."""
