"""A dynesty pool that hands a whole queue of proposals to one vectorised likelihood call.

dynesty's pool interface maps ``internal_sampler.sample`` over ``queue_size`` proposals; each
proposal may call the likelihood several times (random walks, slices). We run the proposals in
threads in lock-step: every likelihood call parks its point with a broker, and when every active
proposal has parked one, the broker evaluates them all in a single jitted ``vmap`` call (padded to
``queue_size`` rows so it compiles once). Initial live points go through one batched call too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from dynesty.utils import LogLikelihood, LoglOutput

_local = threading.local()


class _Broker:
    """Collects one point from each active proposal thread, then evaluates them together."""

    def __init__(self, batched: Callable[[np.ndarray], np.ndarray], active: int) -> None:
        self.batched = batched
        self.active = active
        self.pending: list[tuple[np.ndarray, dict]] = []
        self.cv = threading.Condition()

    def submit(self, x: np.ndarray) -> float:
        box: dict[str, Any] = {}
        with self.cv:
            self.pending.append((x, box))
            self._flush_if_ready()
            while "v" not in box and "err" not in box:
                self.cv.wait()
        if "err" in box:
            raise box["err"]
        return box["v"]

    def done(self) -> None:
        with self.cv:
            self.active -= 1
            self._flush_if_ready()

    def _flush_if_ready(self) -> None:
        if not self.pending or len(self.pending) < self.active:
            return
        batch, self.pending = self.pending, []
        try:
            values = self.batched(np.stack([x for x, _ in batch]))
            for (_, box), v in zip(batch, values, strict=True):
                box["v"] = float(v)
        except BaseException as exc:  # hand the error to every waiting proposal
            for _, box in batch:
                box["err"] = exc
        self.cv.notify_all()


class BatchedLogLike:
    """The likelihood callable given to dynesty: single points outside a batch, broker inside."""

    def __init__(self, single: Callable[[np.ndarray], float]) -> None:
        self.single = single

    def __call__(self, x: np.ndarray) -> float:
        broker = getattr(_local, "broker", None)
        if broker is not None:
            return broker.submit(np.asarray(x, float))
        return self.single(x)


class BatchPool:
    """dynesty pool (``pool.map``, ``pool.size``) that vectorises the likelihood over the queue."""

    def __init__(self, batched: Callable[[np.ndarray], np.ndarray], size: int) -> None:
        self.batched = batched
        self.size = size
        self._threads = ThreadPoolExecutor(max_workers=size) if size > 1 else None

    def _padded(self, xs: np.ndarray) -> np.ndarray:
        n = len(xs)
        if n >= self.size:
            return self.batched(xs)
        pad = np.concatenate([xs, np.repeat(xs[:1], self.size - n, axis=0)])
        return self.batched(pad)[:n]

    def map(self, func: Callable, iterable: Iterable) -> list:
        items = list(iterable)
        if not items:
            return []
        if isinstance(func, LogLikelihood):  # initial live points: one big batch
            values = self.batched(np.stack([np.asarray(v, float) for v in items]))
            return [LoglOutput(float(v), False) for v in values]
        if self._threads is None or len(items) == 1 or not hasattr(items[0], "loglikelihood"):
            return list(map(func, items))
        broker = _Broker(self._padded, len(items))

        def run(item: Any) -> Any:
            _local.broker = broker
            try:
                return func(item)
            finally:
                _local.broker = None
                broker.done()

        return list(self._threads.map(run, items))

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=False)
