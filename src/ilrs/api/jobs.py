"""Long computations started from the web: run one at a time in a background thread, their
progress kept as lines the page polls, their results kept by key so that asking again for
the same thing returns the finished job instead of computing it twice.

The heavy kernels use every core already, so one worker is the right number. The queue is
bounded per kind (:data:`MAX_QUEUED`: more is refused, 429), a plan run goes before any
queued study or what-if (:data:`PRIORITY`), a job that asks for what a queued or running
job computes joins it, and a user may cancel a job: a queued one at once, a running one at
its next progress line.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ilrs.errors import BusyError, IlrsError, InputError, UnknownNameError

__all__ = ["MAX_QUEUED", "PRIORITY", "Job", "JobCancelledError", "Jobs"]

log = logging.getLogger(__name__)
MAX_KEPT = 200  # finished jobs remembered; the oldest are forgotten first
MAX_LINES = 200  # progress lines a job keeps (the newest)
# Jobs of a kind that may wait at once: a page makes one at a time, a few users a few.
MAX_QUEUED = {"plan": 2, "whatif": 10, "study": 10}
MAX_QUEUED_OTHER = 10
PRIORITY = {"plan": 0, "whatif": 1, "study": 2}  # lower runs first; then first come
_WAITING = ("queued", "running")


class JobCancelledError(IlrsError):
    """Raised inside a running job's work at its next progress line once cancelled."""


@dataclass
class Job:
    id: str
    kind: str
    key: str
    title: str
    state: str = "queued"  # queued, running, done, failed, cancelled
    lines: deque = field(default_factory=lambda: deque(maxlen=MAX_LINES))
    result: Any = None
    error: str | None = None
    queued_at: float = field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None
    cancel_asked: bool = False

    def as_dict(self, *, with_result: bool = True) -> dict:
        elapsed = None
        if self.started_at is not None:
            elapsed = round((self.ended_at or time.time()) - self.started_at, 1)
        answer = {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "state": self.state,
            "lines": list(self.lines)[-50:],
            "error": self.error,
            "elapsed_s": elapsed,
        }
        if with_result and self.state == "done":
            answer["result"] = self.result
        return answer


class Jobs:
    def __init__(self):
        self._lock = threading.Condition()
        self._jobs: dict[str, Job] = {}
        self._by_key: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._order = itertools.count()
        self._queue: list[tuple[int, int, Job, Callable]] = []
        self._stopping = False
        self._worker = threading.Thread(target=self._serve, name="ilrs-job", daemon=True)
        self._worker.start()

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
        false: its result may be stale). A failed or cancelled one is tried again. Raises
        :class:`BusyError` when the kind's queue is full."""
        reusable = ("queued", "running", "done") if reuse_done else _WAITING
        with self._lock:
            known = self._by_key.get(f"{kind}:{key}")
            if known is not None and known.state in reusable and not known.cancel_asked:
                return known
            limit = MAX_QUEUED.get(kind, MAX_QUEUED_OTHER)
            waiting = [j for j in self._jobs.values() if j.kind == kind and j.state == "queued"]
            if len(waiting) >= limit:
                raise BusyError(
                    f"{len(waiting)} {kind} jobs are waiting already (at most {limit}); wait "
                    f"for one to finish, or cancel one (DELETE /api/jobs/ID; job {waiting[-1].id} "
                    "is the last)"
                )
            job = Job(id=str(next(self._ids)), kind=kind, key=key, title=title)
            self._jobs[job.id] = job
            self._by_key[f"{kind}:{key}"] = job
            self._forget_oldest()
            entry = (PRIORITY.get(kind, max(PRIORITY.values()) + 1), next(self._order), job, work)
            heapq.heappush(self._queue, entry)
            self._lock.notify()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job (it never runs) or a running one (it stops at its next
        progress line); a finished job is left as it is."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise UnknownNameError(f"no job {job_id!r} (this server forgets old jobs)")
            if job.state not in _WAITING:
                raise InputError(f"job {job_id} has ended ({job.state}); nothing to cancel")
            job.cancel_asked = True
            if job.state == "queued":
                job.state, job.ended_at, job.error = "cancelled", time.time(), "cancelled"
                self._queue = [entry for entry in self._queue if entry[2] is not job]
                heapq.heapify(self._queue)
            return job

    def shutdown(self) -> None:
        """Stop taking jobs; queued ones are cancelled, a running one asked to stop."""
        with self._lock:
            self._stopping = True
            for job in self._jobs.values():
                if job.state in _WAITING:
                    job.cancel_asked = True
                if job.state == "queued":
                    job.state, job.error = "cancelled", "the server stopped"
            self._lock.notify_all()

    def _serve(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                _, _, job, work = heapq.heappop(self._queue)
                if job.state != "queued":  # cancelled while it waited
                    continue
                job.state, job.started_at = "running", time.time()
            self._run(job, work)

    def _run(self, job: Job, work) -> None:
        def progress(line: str) -> None:
            if job.cancel_asked:
                raise JobCancelledError(f"job {job.id} cancelled")
            job.lines.append(line)

        try:
            job.result = work(progress)
            job.state = "done"
        except JobCancelledError:
            job.error, job.state = "cancelled", "cancelled"
        except IlrsError as error:  # the user's input: its message is the answer
            job.error, job.state = str(error), "failed"
        except Exception as error:  # a defect: logged whole, told in one line
            log.exception("job %s (%s) failed", job.id, job.title)
            job.error, job.state = f"internal error: {type(error).__name__}: {error}", "failed"
        finally:
            job.ended_at = time.time()

    def _forget_oldest(self) -> None:
        finished = [j for j in self._jobs.values() if j.state not in _WAITING]
        for job in finished[: max(0, len(self._jobs) - MAX_KEPT)]:
            del self._jobs[job.id]
            if self._by_key.get(f"{job.kind}:{job.key}") is job:
                del self._by_key[f"{job.kind}:{job.key}"]
