"""Long computations started from the web: run one at a time in a background thread, their
progress kept as lines the page polls, their results kept by key so that asking again for
the same thing returns the finished job instead of computing it twice.

The heavy kernels use every core already, so one worker is the right number; a job that
asks for what a queued or running job computes joins it.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ilrs.errors import IlrsError

__all__ = ["Job", "Jobs"]

log = logging.getLogger(__name__)
MAX_KEPT = 200  # finished jobs remembered; the oldest are forgotten first


@dataclass
class Job:
    id: str
    kind: str
    key: str
    title: str
    state: str = "queued"  # queued, running, done, failed
    lines: list[str] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    queued_at: float = field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None

    def as_dict(self, *, with_result: bool = True) -> dict:
        elapsed = None
        if self.started_at is not None:
            elapsed = round((self.ended_at or time.time()) - self.started_at, 1)
        answer = {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "state": self.state,
            "lines": self.lines[-50:],
            "error": self.error,
            "elapsed_s": elapsed,
        }
        if with_result and self.state == "done":
            answer["result"] = self.result
        return answer


class Jobs:
    def __init__(self, workers: int = 1):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ilrs-job")
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._by_key: dict[str, Job] = {}
        self._ids = itertools.count(1)

    def submit(
        self,
        kind: str,
        key: str,
        title: str,
        work: Callable[[Callable[[str], None]], Any],
        *,
        reuse_done: bool = True,
    ) -> Job:
        """A job computing ``work(progress)``; the one already queued or running for the
        same ``kind`` and ``key`` if there is one, or done (unless ``reuse_done`` is
        false: its result may be stale). A failed one is tried again."""
        reusable = ("queued", "running", "done") if reuse_done else ("queued", "running")
        with self._lock:
            known = self._by_key.get(f"{kind}:{key}")
            if known is not None and known.state in reusable:
                return known
            job = Job(id=str(next(self._ids)), kind=kind, key=key, title=title)
            self._jobs[job.id] = job
            self._by_key[f"{kind}:{key}"] = job
            self._forget_oldest()
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        return list(self._jobs.values())

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, work) -> None:
        job.state, job.started_at = "running", time.time()

        def progress(line: str) -> None:
            job.lines.append(line)

        try:
            job.result = work(progress)
            job.state = "done"
        except IlrsError as error:  # the user's input: its message is the answer
            job.error, job.state = str(error), "failed"
        except Exception as error:  # a defect: logged whole, told in one line
            log.exception("job %s (%s) failed", job.id, job.title)
            job.error, job.state = f"internal error: {type(error).__name__}: {error}", "failed"
        finally:
            job.ended_at = time.time()

    def _forget_oldest(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in ("done", "failed")]
        for job in finished[: max(0, len(self._jobs) - MAX_KEPT)]:
            del self._jobs[job.id]
            if self._by_key.get(f"{job.kind}:{job.key}") is job:
                del self._by_key[f"{job.kind}:{job.key}"]
