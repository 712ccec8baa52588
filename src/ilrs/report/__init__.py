"""Report: the plan report (HTML with embedded figures, and its data files)."""
