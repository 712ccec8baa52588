"""Campaign: missions, payloads, launch windows and the station's build-up over the years.
Built on ``ilrs.station``; refers to partners by registry id only."""
