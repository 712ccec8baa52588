"""``ilrs plan``'s progress bar: the time left from the steps' lines, worked by hand."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from ilrs.cli.progress import PlanClock, ProgressBar

ESTIMATES_S = {"terrain": 1.0, "maps": 20.0, "site": 2.0, "validation": 1.0, "report": 2.0}


class Stopwatch:
    """A clock that moves only when told (the plan's seconds, set by the test)."""

    def __init__(self):
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def test_time_left_follows_the_steps_and_scales_with_the_machine():
    watch = Stopwatch()
    clock = PlanClock(ESTIMATES_S, clock=watch)
    clock.line("ILRS reference plan (plan.yaml)")  # the header: no step
    assert clock.left_s() == pytest.approx(26.0)
    clock.line("terrain: reused (cache/terrain-0123)")  # from the cache: costs nothing
    clock.line("validation: computing in a second process ...")  # beside: not counted yet
    assert clock.left_s() == pytest.approx(25.0)
    clock.line("maps: computing ...")
    watch.now_s += 5.0
    assert clock.left_s() == pytest.approx(15.0 + 2.0 + 1.0 + 2.0)
    clock.line("maps: horizon tiles 1/1")  # within the step: nothing changes
    watch.now_s += 35.0  # the maps took 40 s, twice the estimate ...
    assert clock.left_s() == pytest.approx(5.0)  # ... overdue: only the rest is left
    clock.line("site: computing ...")
    # ... so the machine is taken as twice as slow for the rest: 2 x (2 + 1 + 2) s.
    assert clock.speed == pytest.approx(2.0)
    assert clock.left_s() == pytest.approx(10.0)
    watch.now_s += 4.0
    clock.line("validation: computed (cache/validation-4567)")  # it finished meanwhile
    assert clock.left_s() == pytest.approx(4.0)
    clock.line("report ...")
    assert clock.current == "report"
    assert clock.fraction() == pytest.approx(44.0 / 48.0)


def test_the_bar_shows_the_lines_the_elapsed_time_and_the_time_left():
    watch = Stopwatch()
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=100, color_system=None)
    with ProgressBar(PlanClock(ESTIMATES_S, clock=watch), console=console) as bar:
        bar.line("maps: computing ...", "[   0.5 s] ilrs plan: maps: computing ...")
        watch.now_s += 6.0
        bar.progress.refresh()
        shown = stream.getvalue()
    assert "[   0.5 s] ilrs plan: maps: computing ..." in shown
    assert "about 20 s left" in shown  # 20 - 6 in the maps; terrain, site, validation, report
    assert "maps" in shown
