"""Exploration and resources: regolith temperatures and ice stability, candidate ice
targets, rover traverses and hopper hops. Builds on ``terrain``, ``sky`` and
``environment``; sits beside ``station`` (it imports neither ``station`` nor anything above)."""
