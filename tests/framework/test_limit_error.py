"""Monte Carlo errors of the 95% limits (globalfit.limit_error) against the run-to-run spread they
claim to predict, and against the textbook error of a quantile of independent draws."""

import math

import numpy as np
import pytest
from scipy import stats

from globalfit.limit_error import limits_with_errors, weighted_quantile

Q95 = 0.95
Z95 = stats.norm.ppf(Q95)


def iid_quantile_error(n: float, q: float = Q95) -> float:
    """Standard error of the q-quantile of n independent unit-normal draws:
    sqrt(q (1 - q) / n) / pdf(z_q) (e.g. Stuart & Ord, Kendall's Advanced Theory, 10.10)."""
    return math.sqrt(q * (1 - q) / n) / stats.norm.pdf(stats.norm.ppf(q))


def perfect_nested_run(rng, nlive=50, a=5.0, iterations=400):
    """An exact static nested-sampling run (Skilling 2006) for L = exp(-x^2 / 2) under a uniform
    prior on [-a, a]: each iteration removes the lowest-L live point and draws its replacement
    uniformly inside that contour (|x| < |x_removed|). Returns the dead and final live points in
    removal order with ln L, ln L at birth, and the textbook weights ln w = ln dX + ln L with
    ln X_i = -i / nlive (the final live points sharing the last X equally)."""
    live = rng.uniform(-a, a, nlive)
    birth = np.full(nlive, -np.inf)
    xs, lb = [], []
    for _ in range(iterations):
        k = int(np.argmax(np.abs(live)))
        xs.append(live[k])
        lb.append(birth[k])
        r = abs(live[k])
        birth[k] = -0.5 * r**2
        live[k] = rng.uniform(-r, r)
    order = np.argsort(-np.abs(live))
    x = np.concatenate([xs, live[order]])
    logl = -0.5 * x**2
    logx = -np.arange(1, iterations + 1) / nlive
    big_x = np.exp(np.concatenate([[0.0], logx]))
    dx = np.concatenate([big_x[:-1] - big_x[1:], np.full(nlive, big_x[-1] / nlive)])
    return x, logl, np.concatenate([lb, birth[order]]), np.log(dx) + logl


def test_nested_error_matches_spread_of_independent_runs():
    # 120 exact nested runs: the spread of their 95% upper limits is the error each run should
    # claim. Measured: mean claimed error 0.81 of the spread (0.134 vs 0.166). Tolerance 30%: the
    # spread of 120 runs is itself uncertain by ~7%, and the simulated shrinkages leave out the
    # scatter of the points inside each contour (here the sign of x).
    rng = np.random.default_rng(3)
    ups, errs = [], []
    for _ in range(120):
        x, logl, lb, logwt = perfect_nested_run(rng)
        (lim,) = limits_with_errors(None, {"samples": x[:, None], "logwt": logwt, "logl": logl,
                                           "logl_birth": lb})
        ups.append(lim["upper95"])
        errs.append(lim["upper95_err"])
    spread = np.std(ups, ddof=1)
    assert np.mean(errs) == pytest.approx(spread, rel=0.3)
    # and the limit itself is the posterior's: z_0.95 = 1.645 within 4 errors of the mean
    assert abs(np.mean(ups) - Z95) < 4 * spread / math.sqrt(len(ups))


def test_weighted_samples_without_births_use_the_order_statistic_interval():
    # equal weights: the textbook error of a quantile of n independent draws, to 15%
    # (the interval's half-width is a finite difference of the empirical quantile function)
    x = np.random.default_rng(1).normal(size=20000)
    (lim,) = limits_with_errors(None, {"samples": x[:, None], "logwt": np.zeros(x.size),
                                       "logl": np.zeros(x.size)})
    assert lim["upper95_err"] == pytest.approx(iid_quantile_error(x.size), rel=0.15)
    assert lim["upper95"] == pytest.approx(Z95, abs=4 * iid_quantile_error(x.size))
    assert lim["lower95"] == pytest.approx(-Z95, abs=4 * iid_quantile_error(x.size))


def test_chains_use_arviz_quantile_mcse():
    # four chains of independent draws: ArviZ's MCSE equals the textbook error to 15%
    draws = np.random.default_rng(2).normal(size=(4, 5000, 1))
    (lim,) = limits_with_errors(draws)
    assert lim["upper95_err"] == pytest.approx(iid_quantile_error(draws.size), rel=0.15)
    assert lim["upper95"] == pytest.approx(np.quantile(draws, Q95))


def test_weighted_quantile_of_equal_weights_is_the_plain_quantile():
    x = np.random.default_rng(4).normal(size=1001)
    for q in (0.05, 0.5, 0.95):   # midpoint interpolation vs numpy's: within one spacing
        assert abs(weighted_quantile(x, np.ones(x.size), q) - np.quantile(x, q)) < 0.01


def test_same_run_same_errors():
    rng = np.random.default_rng(5)
    x, logl, lb, logwt = perfect_nested_run(rng)
    w = {"samples": x[:, None], "logwt": logwt, "logl": logl, "logl_birth": lb}
    assert limits_with_errors(None, w, seed=1) == limits_with_errors(None, w, seed=1)
