"""Run folders shared by the plot, export and CLI tests, for a 2-D Gaussian likelihood: one
coupling with a uniform prior, one with a log-uniform prior whose lower edge the posterior
reaches (at 14% of its peak). ``nested_run`` is a dynesty run; ``mcmc_run`` a result folder
written by the real writer from two chains of exact Gaussian draws, labelled NUTS (what an
export of an MCMC run sees, without the cost of compiling NUTS)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from globalfit.card import RunCard
from globalfit.fit import Fit
from globalfit.results import write_run
from globalfit.runner import run_card
from globalfit.samplers.base import SamplerOutput

NAMES = ["eps_ee_u", "eps_mumu_u"]
MEAN = [0.1, 0.02]
COV = [[0.01, 0.0], [0.0, 1e-4]]


def gaussian_2d_card(sampler: dict, out: Path) -> dict:
    return {
        "title": "2-D Gaussian test",
        "model": {"name": "nsi"},
        "likelihoods": {"use": ["gaussian"],
                        "gaussian": {"parameters": NAMES, "mean": MEAN, "cov": COV}},
        "parameters": {"eps_ee_u": {"prior": "uniform", "min": -1.0, "max": 1.0},
                       "eps_mumu_u": {"prior": "loguniform", "min": 1e-4, "max": 1.0}},
        "sampler": sampler,
        "output": {"dir": str(out)},
    }


@pytest.fixture(scope="session")
def nested_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "nested"
    run_card(RunCard.from_dict(gaussian_2d_card({"name": "dynesty", "nlive": 150, "seed": 2},
                                                out)), progress=False)
    return out


@pytest.fixture(scope="session")
def mcmc_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "mcmc"
    card = RunCard.from_dict(gaussian_2d_card({"name": "nuts", "chains": 2, "samples": 400,
                                               "seed": 2}, out))
    # the Gaussian inside the priors (rejection), as 2 chains of 400 draws
    draws = np.random.default_rng(2).multivariate_normal(MEAN, COV, size=4000)
    draws = draws[(draws[:, 1] > 1e-4) & (np.abs(draws[:, 0]) < 1)][:800].reshape(2, 400, 2)
    write_run(out, Fit.from_card(card), card, SamplerOutput(
        sampler="nuts", samples=draws, settings=dict(card.sampler), ncall=0, wall_time=0.0,
        diagnostics={"ess": {n: 800.0 for n in NAMES}, "r_hat": {n: 1.0 for n in NAMES},
                     "divergences": 0}))
    return out
