"""What every sampler returns, before it becomes a result folder."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SamplerOutput:
    """Raw output of one sampler run.

    ``samples`` are equally weighted, shape (chains, draws, ndim). Nested samplers also keep the
    weighted dead points (``weighted``: samples (N, ndim), logwt, logl, logl_birth: the
    contour each point was drawn inside) and the evidence.
    ``wall_time`` is this segment's [s] (the run folder adds earlier segments after a resume).
    ``diagnostics`` feed the convergence verdict (``globalfit.convergence``): ``ess`` (a number
    or one per parameter), ``r_hat`` (per parameter), ``divergences``, and ``stopped_early``
    (a sentence saying why the sampler stopped before its own criterion was met, or None).
    """

    sampler: str
    samples: np.ndarray
    settings: dict[str, Any]
    ncall: int
    wall_time: float
    logz: float | None = None
    logz_err: float | None = None
    weighted: dict[str, np.ndarray] | None = None
    sample_stats: dict[str, np.ndarray] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)


#: Seconds between plain progress lines when stderr is not a terminal (a log file, a pipe).
PLAIN_PROGRESS_EVERY = 10.0


def interactive() -> bool:
    """Whether stderr is a terminal (progress bars) or not (periodic plain lines)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class PlainProgress:
    """Prints one plain line on stderr at most every ``every`` seconds: progress for logs and
    pipes, where a carriage-return bar would become one giant line."""

    def __init__(self, every: float | None = None) -> None:
        self.every = PLAIN_PROGRESS_EVERY if every is None else every
        self.last = time.monotonic()

    def __call__(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= self.every:
            self.last = now
            print(text, file=sys.stderr, flush=True)


def progress_printer(progress: bool):
    """A dynesty ``print_func``: None (dynesty's own bar) on a terminal, plain lines elsewhere,
    a no-op when progress is off."""
    if progress and interactive():
        return None
    plain = PlainProgress()

    def show(results: Any, niter: int, ncall: int, add_live_it: int | None = None,
             dlogz: float | None = None, **_: Any) -> None:
        if not progress or add_live_it is not None:
            return
        logz = getattr(results, "logz", float("nan"))
        dz = getattr(results, "delta_logz", float("nan"))
        stop = f" (stop at {dlogz:g})" if dlogz is not None else ""
        plain(f"dynesty: iteration {niter}, {ncall} calls, log Z = {logz:.3f}, "
              f"remaining delta log Z = {dz:.3g}{stop}")

    return show
