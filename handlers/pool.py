"""Bounded pools for slow work: a few jobs run at once, more wait in order, the rest are refused.

Two of them in ``serve`` and Socket Mode: one writes answers, one indexes shares (files,
notebooks, repositories). A burst of big shares then waits its turn on the indexing pool
instead of holding every thread Bolt's lazy listeners have, so a question, ``/gencode
list`` or the App Home is never stuck behind them (16 archive shares at once delayed a
mention by 75 s).

Why not Bolt's listener executor: Bolt runs every ack and every lazy listener on one pool
(5 threads by default). An answer holds its thread for as long as the model writes, so
five answers in flight left no thread for the next slash command's ack, and Slack showed
the user a 404 after 3 s. Acks and lazy listeners now run on pools of their own
(``bot.app.build_app``), and the slow part of an answer runs here, where its place in the
queue is known before it starts and can be told to the asker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from rag import GencodeError

logger = logging.getLogger(__name__)


class PoolFull(GencodeError):
    """The queue is full; ``waiting`` jobs wait already. The caller tells the asker."""

    def __init__(self, waiting: int, kind: str = "answer") -> None:
        super().__init__(f"{waiting} {kind} jobs are waiting already")
        self.waiting = waiting


class AnswerPool:
    """Runs at most ``workers`` jobs at once; up to ``max_queued`` more wait, first in first out.

    :meth:`submit` says where a job landed: ``None`` when it starts at once, ``n`` when it
    waits behind ``n`` other waiting jobs (``0``: it is next); it raises :class:`PoolFull`
    when the queue is full and the job was not taken.
    """

    def __init__(self, *, workers: int, max_queued: int, kind: str = "answer") -> None:
        if workers < 1 or max_queued < 0:
            raise ValueError(f"an {kind} pool needs at least one worker and a queue size ≥ 0")
        self.workers = workers
        self.max_queued = max_queued
        self.kind = kind
        """What the jobs are (``answer``, ``index``): in thread names and logs."""
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix=f"gencode-{kind}")
        self._lock = threading.Lock()
        self._pending = 0
        """Jobs submitted and not yet finished: running ones and waiting ones."""

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def submit(self, job: Callable[[], None]) -> int | None:
        with self._lock:
            if self._pending >= self.workers + self.max_queued:
                raise PoolFull(self._pending - self.workers, self.kind)
            ahead = self._pending - self.workers if self._pending >= self.workers else None
            self._pending += 1
        try:
            self._executor.submit(self._run, job)
        except RuntimeError:  # shut down: nothing will run it
            with self._lock:
                self._pending -= 1
            raise PoolFull(0, self.kind) from None
        return ahead

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # a job reports its own failures; this is the last resort
            logger.exception("%s job failed", self.kind)
        finally:
            with self._lock:
                self._pending -= 1

    def shutdown(self, *, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait)
