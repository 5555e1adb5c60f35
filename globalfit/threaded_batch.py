"""A batch of points spread over threads, one point per jitted call, one thread per CPU core.

For likelihoods of milliseconds per point on CPU, whose single point XLA parallelises poorly
over the cores (superk_atm_2023: 6.1-6.5 ms per point alone on two XLA threads, 8.5 ms on one
core), points computed side by side on the cores go further than one vectorised call: the
Fit's batched path of Super-K takes 4.88-4.95 ms per point this way against 6.4-6.9 ms as
``jax.lax.map``, of Super-K + MINOS 5.15-5.18 against 6.8-7.1 (two runs each of
benchmarks/bench_oscillation_data.py on two cores). JAX releases the GIL while a jitted call
runs, so plain Python threads suffice.

The Fit uses it only when every likelihood declares ``Likelihood.parallel_points`` (and one
asks for small batches, ``batch_size``): two batched LAPACK custom calls running at the same
time deadlock in jaxlib 0.10.2 (see globalfit/linalg.py), so a likelihood opts in once its
computation holds none.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jax
import numpy as np

_pools: dict[int, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def cpu_cores() -> int:
    """CPU cores this process may run on (its affinity mask: ``taskset`` is respected)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        return os.cpu_count() or 1


def thread_pool(threads: int) -> ThreadPoolExecutor:
    """The process's pool of ``threads`` worker threads (created once, shared: batches of points
    here, NUTS chains side by side)."""
    with _lock:
        if threads not in _pools:
            _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="globalfit-point")
        return _pools[threads]


class ThreadedBatch:
    """``f(xs, *args)`` = the rows of ``single(x, *args)`` stacked, computed by ``threads``
    threads (the Fit's batched function when :func:`cpu_cores` > 1 and the likelihoods allow).
    Batches are not padded (``pads``): each point is its own call, so no new shape compiles."""

    pads = False

    def __init__(self, single: Callable[..., Any], threads: int) -> None:
        self.single = single
        self.threads = threads

    def __call__(self, xs: Any, *args: Any) -> Any:
        rows = list(xs)
        if len(rows) <= 1 or self.threads <= 1:
            outs = [self.single(x, *args) for x in rows]
        else:
            # each thread waits for its point before taking the next: with JAX's asynchronous
            # dispatch the calls would otherwise queue up behind one another
            outs = list(thread_pool(self.threads).map(
                lambda x: jax.block_until_ready(self.single(x, *args)), rows))
        if not outs:
            raise ValueError("ThreadedBatch needs at least one point")
        stack = np.stack if isinstance(xs, np.ndarray) else jax.numpy.stack
        return jax.tree_util.tree_map(lambda *o: stack(o), *outs)
