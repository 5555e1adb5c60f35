"""Executors run independent jobs (scan points). One interface: ``map(fn, items)`` yields
``(item, result)`` as jobs finish. Local processes now; a distributed engine plugs in the
same way."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol


class Executor(Protocol):
    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        ...


class SerialExecutor:
    """Runs jobs one after another in this process (jobs = 1)."""

    def map(self, fn, items):
        for item in items:
            yield item, fn(item)


class LocalProcessExecutor:
    """Runs jobs in ``jobs`` local processes (spawned: JAX does not survive a fork)."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs

    def map(self, fn, items):
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx) as pool:
            futures = {pool.submit(fn, item): item for item in items}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()


def get_executor(jobs: int = 1) -> Executor:
    return SerialExecutor() if jobs <= 1 else LocalProcessExecutor(jobs)
