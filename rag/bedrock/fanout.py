"""One Bedrock call per item, spread over many regions, each item to a final outcome.

Why our own fan-out instead of botocore's retries: botocore retries a throttled call by
sleeping in place, in the same region, holding a concurrency slot. :class:`FanOut` moves
the call to the next region at once, slows only the region that throttles (a short
cool-down that grows with consecutive throttles, and fewer calls in flight there), and
gives every item a final, explicit outcome. botocore is therefore told to try once.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .client import BedrockClients, Failure, explain

logger = logging.getLogger(__name__)

I = TypeVar("I")  # noqa: E741 - an item fanned out
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """One item's result: a value, or the error that stopped it for good."""

    value: R | None = None
    error: str = ""
    region: str = ""
    attempts: int = 0


@dataclass
class _Task:
    index: int
    attempts: int = 0
    last_region: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class _Region:
    name: str
    max_limit: int
    limit: float = 0.0
    in_flight: int = 0
    cooldown_until: float = 0.0
    streak: int = 0
    """Consecutive throttles / outages without a success in between."""
    fatal: str = ""
    queue: deque[_Task] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.limit = float(self.max_limit)


class FanOut:
    """Run one Bedrock call per item over many regions, each item to a final outcome.

    - Items start round-robin over the regions (item *i* in region *i mod n*); a region
      whose own queue is empty takes work from the others, so a slow or cooling region
      never strands items.
    - At most ``concurrency`` calls are in flight per region. A throttle or outage
      re-queues the item to the *next* region at once, pauses the failing region for
      ``backoff_base × 2^(streak-1)`` seconds (jittered, capped), and from the second
      consecutive failure lowers that region's concurrency (×0.7); each success raises
      it again by ``1/limit`` (additive increase).
    - A region that cannot serve the model at all (access denied, unknown model id) is
      dropped; when none is left, remaining items fail with that reason.
    - An item fails for good after ``max_attempts`` tries; its error names the regions.

    Workers are threads (the calls are I/O); results and ``on_done`` are delivered on the
    caller's thread.
    """

    def __init__(
        self,
        clients: BedrockClients,
        *,
        model_id: str,
        rng: random.Random | None = None,
    ) -> None:
        self.clients = clients
        self.options = clients.options
        self.model_id = model_id
        self._rng = rng or random.Random()

    def run(
        self,
        items: Sequence[I],
        call: Callable[[Any, I], R],
        *,
        on_done: Callable[[int, Outcome[R]], None] | None = None,
    ) -> list[Outcome[R]]:
        total = len(items)
        if total == 0:
            return []
        opts = self.options
        regions = [_Region(name, opts.concurrency) for name in opts.regions]
        for i in range(total):
            regions[i % len(regions)].queue.append(_Task(i))
        state = _RunState(total=total)
        cond = threading.Condition()
        results: queue.Queue[tuple[int, Outcome[R]]] = queue.Queue()

        def finish(task: _Task, outcome: Outcome[R]) -> None:
            state.done += 1
            results.put((task.index, outcome))

        def fail(task: _Task, error: str) -> None:
            regions_tried = sorted({e.split("|", 1)[0] for e in task.errors if "|" in e})
            last = task.errors[-1].split("|", 1)[-1] if task.errors else error
            where = f" in {', '.join(regions_tried)}" if regions_tried else ""
            finish(
                task,
                Outcome(
                    error=f"failed after {task.attempts} attempt(s){where}: {last}",
                    attempts=task.attempts,
                ),
            )

        def live() -> list[_Region]:
            return [r for r in regions if not r.fatal]

        def requeue(task: _Task, after: _Region) -> None:
            alive = live()
            if not alive:
                fail(task, after.fatal or "no region left")
                return
            if task.attempts >= opts.attempts:
                fail(task, task.errors[-1] if task.errors else "")
                return
            # Failover: the next live region after the one that failed.
            start = regions.index(after)
            for step in range(1, len(regions) + 1):
                target = regions[(start + step) % len(regions)]
                if not target.fatal:
                    target.queue.append(task)
                    return

        def take(region: _Region, now: float) -> _Task | None:
            if region.queue:
                return region.queue.popleft()
            # Help a region that cannot start its own work now (saturated, cooling down,
            # or dropped), busiest first; healthy regions keep their round-robin share.
            donors = sorted(
                (
                    r
                    for r in regions
                    if r is not region
                    and r.queue
                    and (r.fatal or now < r.cooldown_until or r.in_flight >= int(r.limit))
                ),
                key=lambda r: -len(r.queue),
            )
            for donor in donors:
                for _ in range(len(donor.queue)):
                    task = donor.queue.popleft()
                    if task.last_region != region.name or len(live()) == 1:
                        return task
                    donor.queue.append(task)
            return None

        def worker(region: _Region) -> None:
            client = self.clients.get(region.name)
            while True:
                with cond:
                    while True:
                        if state.done >= total or region.fatal:
                            cond.notify_all()
                            return
                        now = time.monotonic()
                        wait: float | None = 0.5
                        if now < region.cooldown_until:
                            wait = region.cooldown_until - now
                        elif region.in_flight < int(region.limit):
                            task = take(region, now)
                            if task is not None:
                                region.in_flight += 1
                                task.attempts += 1
                                break
                        cond.wait(timeout=wait)
                value: R | None = None
                failure: Failure | None = None
                try:
                    value = call(client, items[task.index])
                except Exception as exc:  # classified below; bugs surface as item errors
                    failure = explain(exc, model_id=self.model_id, region=region.name)
                with cond:
                    region.in_flight -= 1
                    task.last_region = region.name
                    if failure is None:
                        region.streak = 0
                        region.limit = min(float(region.max_limit), region.limit + 1 / region.limit)
                        finish(
                            task, Outcome(value=value, region=region.name, attempts=task.attempts)
                        )
                    else:
                        task.errors.append(f"{region.name}|{failure.message}")
                        self._on_failure(region, failure, regions, requeue, fail, task)
                    cond.notify_all()

        threads = []
        for region in regions:
            n = min(opts.concurrency, total)
            for k in range(n):
                t = threading.Thread(
                    target=worker, args=(region,), name=f"bedrock-{region.name}-{k}", daemon=True
                )
                t.start()
                threads.append(t)

        outcomes: list[Outcome[R] | None] = [None] * total
        received = 0
        while received < total:
            index, outcome = results.get()
            outcomes[index] = outcome
            received += 1
            if on_done is not None:
                on_done(index, outcome)
        for t in threads:
            t.join(timeout=5)
        return [o if o is not None else Outcome(error="lost") for o in outcomes]

    def _on_failure(
        self,
        region: _Region,
        failure: Failure,
        regions: list[_Region],
        requeue: Callable[[_Task, _Region], None],
        fail: Callable[[_Task, str], None],
        task: _Task,
    ) -> None:
        opts = self.options
        if failure.kind == "item":
            fail(task, failure.message)
            return
        if failure.kind == "region":
            if not region.fatal:
                logger.warning("dropping Bedrock region %s: %s", region.name, failure.message)
                region.fatal = failure.message
                stranded = list(region.queue)
                region.queue.clear()
                for t in stranded:
                    requeue(t, region)
            requeue(task, region)
            return
        if failure.kind in ("throttled", "unavailable"):
            region.streak += 1
            pause = min(opts.backoff_cap, opts.backoff_base * 2 ** (region.streak - 1))
            pause *= 0.5 + self._rng.random() / 2
            region.cooldown_until = max(region.cooldown_until, time.monotonic() + pause)
            if region.streak >= 2:
                region.limit = max(1.0, region.limit * 0.7)
            logger.info(
                "%s in %s (streak %d): pausing %.2fs, concurrency %.1f",
                failure.kind,
                region.name,
                region.streak,
                pause,
                region.limit,
            )
        requeue(task, region)


@dataclass
class _RunState:
    total: int
    done: int = 0
