"""One-sided 95% limits and their Monte Carlo error (summary.json ``upper95``, ``lower95``,
``upper95_err``, ``lower95_err``).

A limit from a finite sampling run scatters from run to run; the result folder says by how much,
so that a limit is never quoted more precisely than the run determined it. The error is one
standard deviation of the limit over repetitions of the run:

- nested sampling with birth contours (dynesty): the limit is the weighted quantile of the dead
  points (no equal-weight resampling noise added), and its error the spread of that quantile over
  ``N_REALISATIONS`` simulated prior-volume shrinkages (each iteration's t ~ Beta(n_live, 1);
  Skilling 2006, Higson et al. 2018 arXiv:1703.09701), drawn by anesthetic
  (``NestedSamples.logw(nsamples)``). Against the run-to-run spread it claims: 0.81x in exact
  1-D nested runs (tests/framework/test_limit_error.py; the shrinkages leave out the scatter of
  the points inside a contour), 1.07x and 0.99x at a Z' scan point with nlive 300 and 500
  (benchmarks/bench_scan_nlive.py, 30 seeds; docs/reliability.md). A reweighted run
  (``globalfit.samplers.reweight_sampler``) is simulated on its base run's contours, each
  point's weight times L_new / L_base;
- weighted samples without birth contours (UltraNest, nautilus): the weighted quantile, and half
  the distance between the weighted quantiles at q -/+ sqrt(q (1 - q) / ESS) (the order-statistic
  interval of ESS independent draws, Kish's ESS);
- MCMC chains (NUTS): the quantile of the draws, and ArviZ's quantile MCSE (Vehtari et al. 2021,
  arXiv:1903.08008), which accounts for the autocorrelation.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

#: simulated shrinkage sequences per nested run (the error's own relative error ~ 1/sqrt(2 N))
N_REALISATIONS = 100
#: relative weight below which a dead point is left out of the simulated quantiles
NEGLIGIBLE = 1e-12
#: the one-sided limits reported, as (summary key, quantile)
LIMITS = (("upper95", 0.95), ("lower95", 0.05))


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The q-quantile of samples ``x`` with weights ``w`` (>= 0), linear in the cumulative
    weight between the midpoints of each sample's weight."""
    return float(weighted_quantiles(x, np.asarray(w, float)[None, :], (q,))[0, 0])


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """:func:`weighted_quantile` of ``x`` (N,) at each of ``qs`` under each row of the weights
    ``w`` (K, N): one sort and one cumulative sum for all. Returns (len(qs), K)."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[:, order]
    if len(xs) < 2:
        return np.full((len(qs), ws.shape[0]), xs[0] if len(xs) else np.nan)
    c = np.cumsum(ws, axis=1) - 0.5 * ws                       # (K, N), increasing along N
    rows = np.arange(ws.shape[0])
    out = []
    for q in qs:
        target = q * ws.sum(axis=1)[:, None]                    # (K, 1)
        hi = np.clip(np.sum(c < target, axis=1), 1, len(xs) - 1)   # first c >= target
        c_lo, c_hi = c[rows, hi - 1], c[rows, hi]
        span = c_hi - c_lo
        frac = np.clip(np.divide(target[:, 0] - c_lo, span, out=np.zeros_like(span),
                                 where=span > 0), 0.0, 1.0)
        out.append(xs[hi - 1] + frac * (xs[hi] - xs[hi - 1]))
    return np.array(out)


def _nested(points: np.ndarray, logl: np.ndarray, logl_birth: np.ndarray, logwt: np.ndarray,
            seed: int, extra: np.ndarray | None = None) -> list[dict[str, float]]:
    """``logl``/``logl_birth``: the contours the run was built on; ``extra``: a log-weight added
    to each point (a reweighted run's ln L_new - ln L_base), zero if None."""
    from globalfit.information import nested_samples

    ndim = points.shape[1]
    w0 = np.exp(logwt - np.max(logwt))
    out = [{key: weighted_quantile(points[:, i], w0, q) for key, q in LIMITS}
           for i in range(ndim)]
    ns = nested_samples(logl, logl_birth, extra, points)
    state = np.random.get_state()          # anesthetic draws the shrinkages with np.random
    np.random.seed(seed)
    try:
        logw = np.asarray(ns.logw(nsamples=N_REALISATIONS))            # (N, realisations)
    finally:
        np.random.set_state(state)
    table = np.asarray(ns[["extra", *(f"p{i}" for i in range(ndim))]].to_numpy(), float)
    x = table[:, 1:]
    logw = (logw + table[:, :1]).T                                          # (realisations, N)
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    keep = w.max(axis=0) > NEGLIGIBLE                   # points no realisation gives weight
    x, w = x[keep], np.ascontiguousarray(w[:, keep])
    for i in range(ndim):
        draws = weighted_quantiles(x[:, i], w, tuple(q for _, q in LIMITS))
        for (key, _), d in zip(LIMITS, draws, strict=True):
            out[i][f"{key}_err"] = float(np.std(d, ddof=1))
    return out


def _weighted(points: np.ndarray, logwt: np.ndarray) -> list[dict[str, float]]:
    from globalfit.information import effective_sample_size

    w = np.exp(logwt - np.max(logwt))[None, :]
    ess = effective_sample_size(logwt)
    qs: list[float] = []                                   # per limit: q - half, q, q + half
    for _, q in LIMITS:
        half = math.sqrt(q * (1.0 - q) / ess)
        qs += [max(q - half, 0.0), q, min(q + half, 1.0)]
    out = []
    for i in range(points.shape[1]):
        v = weighted_quantiles(points[:, i], w, tuple(qs)).reshape(len(LIMITS), 3)  # one sort
        d: dict[str, float] = {}
        for (key, _), (lo, mid, hi) in zip(LIMITS, v, strict=True):
            d[key] = float(mid)
            d[f"{key}_err"] = 0.5 * float(hi - lo)
        out.append(d)
    return out


def _chains(samples: np.ndarray) -> list[dict[str, float]]:
    import arviz as az

    out = []
    for i in range(samples.shape[-1]):
        x = samples[..., i]
        d: dict[str, float] = {}
        for key, q in LIMITS:
            d[key] = float(np.quantile(x, q))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                d[f"{key}_err"] = float(np.asarray(az.mcse(x, method="quantile", prob=q)))
        out.append(d)
    return out


def limits_with_errors(samples: np.ndarray, weighted: dict[str, Any] | None = None,
                       seed: int = 0) -> list[dict[str, float]]:
    """Per parameter ``{"upper95", "lower95", "upper95_err", "lower95_err"}`` (module
    docstring). ``samples``: the run's (chains, draws, ndim) equally weighted draws;
    ``weighted``: a nested run's dead points (``SamplerOutput.weighted``), which take
    precedence. ``seed`` fixes the simulated shrinkages (the same run gives the same errors)."""
    if weighted is not None:
        pts = np.asarray(weighted["samples"], float)
        logwt = np.asarray(weighted["logwt"], float)
        birth = weighted.get("logl_birth")
        if birth is None:
            return _weighted(pts, logwt)
        logl = np.asarray(weighted["logl"], float)
        if "logl_base" in weighted:          # reweighted: built on the base run's contours
            base = np.asarray(weighted["logl_base"], float)
            return _nested(pts, base, np.asarray(birth, float), logwt, seed, logl - base)
        return _nested(pts, logl, np.asarray(birth, float), logwt, seed)
    return _chains(np.asarray(samples, float))
