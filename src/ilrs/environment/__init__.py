"""Environment: lighting and visibility at a site and over a map (sunlit fraction, Earth,
ground-station and relay visibility, statistics, permanently shadowed regions).
Built on ``ilrs.sky`` and ``ilrs.terrain``."""
