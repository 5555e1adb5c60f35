"""One compilation per card shape: the values of fixed parameters are runtime inputs of the
compiled functions (globalfit/fit.py), so every point of a scan reuses the first point's."""

from __future__ import annotations

import contextlib
import math

import jax
import numpy as np
import pytest
import tomli_w

from globalfit.card import RunCard
from globalfit.fit import Fit, clear_caches
from tests.framework.cards import counting_card

COMPILE = "/jax/core/compile/backend_compile_duration"


@contextlib.contextmanager
def compilations():
    """Names of the functions XLA compiles inside the block (JAX's monitoring events)."""
    names: list[str] = []

    def listener(event, duration, **kw):
        if event == COMPILE:
            names.append(str(kw.get("fun_name", "?")))

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield names
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)


def gauss_card(fixed: float, lo: float = -1.0) -> RunCard:
    """A Gaussian in (eps_ee_u, eps_mumu_u) with eps_mumu_u fixed by the card (as a scan does)."""
    raw = {"model": {"name": "nsi"},
           "likelihoods": {"use": ["gaussian"],
                           "gaussian": {"parameters": ["eps_ee_u", "eps_mumu_u"],
                                        "mean": [0.1, -0.2], "cov": [[0.04, 0.01], [0.01, 0.09]]}},
           "parameters": {"eps_ee_u": {"prior": "uniform", "min": lo, "max": 1.0},
                          "eps_mumu_u": {"value": fixed}},
           "sampler": {"name": "dynesty", "nlive": 50}}
    return RunCard.from_dict(raw)


def exercise(fit: Fit) -> dict[str, np.ndarray]:
    """Every entry point a run, a scan point and a profile use, at several batch sizes."""
    rng = np.random.default_rng(2)
    u = rng.uniform(0.05, 0.95, (700, fit.ndim))
    x = fit.prior_transform(u)
    out = {
        "single": np.asarray(fit.loglike(x[0])),
        "batch": np.asarray(fit.loglike(x)),
        "small": np.asarray(fit.loglike(x[:5])),
        "components": np.asarray(fit.loglike_components(x[:37])["gaussian"]),
        "logpost": np.asarray(fit.logpost(x[:300])),
        "cube": np.asarray([fit.cube_loglike(u[0]), *fit.cube_loglike(u[:9])]),
        "grad": np.asarray(fit.logpost_and_grad(x[1])[1]),
        "chi2": np.asarray(fit.chi2_and_grad(x[1])[1]),
        "transform": fit.prior_transform(u[:2000]),
    }
    fit.point(x[2])
    return out


def test_new_fixed_value_compiles_nothing_and_is_exact():
    clear_caches()
    with compilations() as first:
        a = exercise(Fit.from_card(gauss_card(0.1)))
    assert first, "the first Fit compiles its functions"
    with compilations() as second:
        b = exercise(Fit.from_card(gauss_card(-0.3)))
    assert second == []  # same card shape, another fixed value: nothing compiled
    assert not np.allclose(a["batch"], b["batch"])  # the fixed value does enter the likelihood
    clear_caches()  # a Fit built from scratch at the new value gives the same numbers (1e-12)
    fresh = exercise(Fit.from_card(gauss_card(-0.3)))
    for key, value in fresh.items():
        np.testing.assert_allclose(b[key], value, rtol=1e-12, atol=1e-300, err_msg=key)


def test_other_card_shape_does_not_share():
    a = Fit.from_card(gauss_card(0.1))
    b = Fit.from_card(gauss_card(0.1, lo=-2.0))
    assert a._c is not b._c  # another prior: other compiled functions
    assert a._c is Fit.from_card(gauss_card(0.7))._c
    assert a.likelihoods[0] is b.likelihoods[0]  # one likelihood set-up for both


def test_scan_points_after_the_first_compile_nothing(tmp_path):
    """A whole scan (sampling, result folder, profile bound) through the serial executor: the
    second point compiles nothing."""
    from globalfit.scan import run_scan

    card = counting_card({"name": "dynesty", "nlive": 40, "seed": 1}, str(tmp_path / "c"))
    path = tmp_path / "counting.toml"
    path.write_text(tomli_w.dumps(card))
    per_point: list[list[str]] = []

    class CountingExecutor:
        def map(self, fn, items):
            for item in items:
                with compilations() as names:
                    res = fn(item)
                per_point.append(list(names))
                yield item, res

    clear_caches()
    run_scan(path, "m_zprime=0.5,2.0", out=tmp_path / "scan", executor=CountingExecutor(),
             progress=False)
    assert len(per_point) == 2 and per_point[0]
    assert per_point[1] == [], per_point[1]
    import csv

    rows = list(csv.DictReader((tmp_path / "scan" / "scan.csv").open()))
    # Poisson n = b = 0, s = g': profile bound 3.84 / 2 = 1.92 at every mass (root-found: 0.1%)
    bound = [float(r["g_prime_profile95"]) for r in rows]
    assert bound == pytest.approx([1.92] * 2, rel=1e-3)
    assert all(math.isfinite(b) for b in bound)
