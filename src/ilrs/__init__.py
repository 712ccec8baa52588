"""ILRS Planner: planning and coordination for the International Lunar Research Station.

The package is layered (see DESIGN.md); imports only point down:

- ``ilrs.cli``, ``ilrs.api``, ``ilrs.report``: entry points
- ``ilrs.campaign``: missions, payloads, schedule, capability build-up
- ``ilrs.station``: scenario schema; power, comms, ISRU models; simulation
- ``ilrs.environment``: lighting and visibility, statistics, maps, shadowed regions
- ``ilrs.sky`` and ``ilrs.terrain``: ephemerides and frames; elevation grids and horizons
- ``ilrs.cooperation``: the ILRSCO registry (independent of the physics)
- ``ilrs.data``: the embedded default (reference sites, stations, scenario, registry facts)
"""

__version__ = "0.1.0"
