"""``ilrs plan``'s progress on a terminal: the steps as they go, a bar, the time taken and
an estimate of the time left (rich). Elsewhere (a log, a pipe) the plain stamped lines
alone, as before.

The estimate is each step's time on the default plan from an empty cache on two cores
(:data:`STEP_ESTIMATES_S`), scaled by how the steps computed so far compared with theirs
(a slower machine, a longer period); a step taken from the cache costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["STEP_ESTIMATES_S", "PlanClock", "ProgressBar"]

# Seconds per step: the default plan from an empty cache (compiled kernels cached) on an
# idle 2-core machine, benchmarks/bench_plan.py. The station and the validation run
# beside the others: only a wait for them shows.
STEP_ESTIMATES_S = {
    "terrain": 0.3,
    "maps": 14.0,
    "site": 1.5,
    "station": 1.0,
    "campaign": 19.0,
    "validation": 1.0,
    "report": 2.5,
}
_SPEED_LIMITS = (0.25, 8.0)  # how far the measured steps may scale the estimate


class PlanClock:
    """What the progress lines tell of the plan's steps, and the time left."""

    def __init__(
        self,
        estimates_s: dict[str, float] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.estimates_s = dict(estimates_s or STEP_ESTIMATES_S)
        self.clock = clock
        self.started = clock()
        self.done: set[str] = set()
        self.current: str | None = None
        self.current_since = self.started
        self.measured_s = 0.0  # steps computed so far: their time ...
        self.expected_s = 0.0  # ... and what was estimated for them

    def line(self, text: str) -> None:
        """Take in one progress line ("maps: computing ...", "site: reused (...)")."""
        step, _, rest = text.partition(":")
        step = step.split(" ")[0].strip()
        if text.startswith("report"):
            step, rest = "report", " computing"
        if step not in self.estimates_s:
            return
        rest = rest.strip()
        if rest.startswith("computing in a second process"):
            return  # beside the others: only a wait for it counts
        if rest.startswith(("computing", "waiting")):
            self._finish_current()
            self.current, self.current_since = step, self.clock()
        elif rest.startswith(("reused", "computed")):
            if step == self.current:
                self._finish_current()
            self.done.add(step)

    def _finish_current(self) -> None:
        if self.current is None:
            return
        self.measured_s += self.clock() - self.current_since
        self.expected_s += self.estimates_s[self.current]
        self.done.add(self.current)
        self.current = None

    @property
    def speed(self) -> float:
        """Measured over estimated time of the steps computed so far."""
        if self.expected_s < 1.0:
            return 1.0
        return min(max(self.measured_s / self.expected_s, _SPEED_LIMITS[0]), _SPEED_LIMITS[1])

    def elapsed_s(self) -> float:
        return self.clock() - self.started

    def left_s(self) -> float:
        """Estimated seconds until the report is written."""
        speed = self.speed
        waiting = [s for s in self.estimates_s if s not in self.done and s != self.current]
        left = speed * sum(self.estimates_s[s] for s in waiting)
        if self.current is not None:
            in_step = self.clock() - self.current_since
            left += max(0.0, speed * self.estimates_s[self.current] - in_step)
        return left

    def fraction(self) -> float:
        elapsed = self.elapsed_s()
        total = elapsed + self.left_s()
        return elapsed / total if total > 0 else 1.0


class ProgressBar:
    """A live bar under the stamped lines on a terminal (rich, on standard error)."""

    def __init__(self, clock: PlanClock | None = None, console=None):
        from rich.console import Console
        from rich.progress import Progress, TextColumn, TimeElapsedColumn

        self.clock = clock or PlanClock()
        bar, left = _columns(self.clock)
        self.progress = Progress(
            TextColumn("{task.description:>10s}"),
            bar,
            TimeElapsedColumn(),
            left,
            console=console or Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("ilrs plan", total=1.0)

    def __enter__(self) -> ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def line(self, text: str, stamped: str) -> None:
        """Show a stamped line above the bar and move the bar on."""
        self.clock.line(text)
        step = self.clock.current or "ilrs plan"
        self.progress.update(self.task, description=step)
        self.progress.console.print(stamped, highlight=False, markup=False, soft_wrap=True)


def _columns(clock: PlanClock) -> list:
    """The bar and the time left, both read off ``clock`` at each refresh (so they move
    between progress lines)."""
    from rich.progress import ProgressColumn
    from rich.progress_bar import ProgressBar as Bar
    from rich.text import Text

    class FractionBar(ProgressColumn):
        def render(self, task) -> Bar:
            return Bar(total=1.0, completed=clock.fraction(), width=40)

    class TimeLeft(ProgressColumn):
        def render(self, task) -> Text:
            left = clock.left_s()
            shown = f"{left:.0f} s" if left < 120 else f"{left / 60:.0f} min"
            return Text(f"about {shown} left", style="progress.remaining")

    return [FractionBar(), TimeLeft()]
