"""The oscillation run cards (runs/ and runs/validation/) build a Fit whose log-posterior and
its gradient are finite, and the validation cards carry the set-up docs/oscillation.md states."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from globalfit import Fit

RUNS = Path(__file__).resolve().parents[2] / "runs"
CARDS = sorted(p.relative_to(RUNS).as_posix() for p in
               [*RUNS.glob("*dune_t2hk*.toml"), *RUNS.glob("validation/dune_t2hk_*.toml")])


def test_cards_found():
    assert len(CARDS) >= 6, CARDS


@pytest.mark.parametrize("card", CARDS)
def test_card_builds_and_evaluates(card):
    fit = Fit.from_card(RUNS / card)
    th = fit.prior_transform(np.full(fit.ndim, 0.45))
    assert np.isfinite(float(fit.logpost(th)))
    val, grad = fit.logpost_and_grad(th)
    assert np.isfinite(float(val)) and np.all(np.isfinite(np.asarray(grad)))


@pytest.mark.parametrize("card", [c for c in CARDS if c.startswith("validation/")])
def test_validation_cards_move_theta23_for_both_experiments(card):
    """sin^2 theta23 = 0.585 (upper octant) in dune and t2hk alike, two T2HK tanks; the shared
    theta23 prior is centred there (or, flat, contains it)."""
    fit = Fit.from_card(RUNS / card)
    dune, t2hk = fit.likelihoods
    assert np.sin(dune.truth_osc["theta23"]) ** 2 == pytest.approx(0.585, abs=1e-3)
    assert t2hk.truth_osc == dune.truth_osc and t2hk.config["tanks"] == 2
    pri = fit.priors["theta23"]
    if hasattr(pri, "mean"):  # the NuFIT Gaussian, centred on the truth
        assert pri.mean == pytest.approx(dune.truth_osc["theta23"], abs=1e-12)
    else:  # a flat range that contains the truth
        assert pri.min < dune.truth_osc["theta23"] < pri.max
