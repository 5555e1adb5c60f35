"""Run cards used by the framework tests, built as dicts."""

from __future__ import annotations

import copy

import numpy as np

#: 5-D correlated Gaussian (the card runs/gaussian_5d.toml), uniform priors on [-1, 1]^5:
#: log Z = -5 ln 2 (the Gaussian lies well inside the box); posterior = the Gaussian.
MEAN = [0.1, -0.2, 0.0, 0.3, 0.05]
COV = [[0.010, 0.004, 0.000, 0.000, 0.000],
       [0.004, 0.020, 0.005, 0.000, 0.000],
       [0.000, 0.005, 0.015, 0.003, 0.000],
       [0.000, 0.000, 0.003, 0.010, 0.002],
       [0.000, 0.000, 0.000, 0.002, 0.005]]
NAMES = ["eps_ee_u", "eps_mumu_u", "eps_tautau_u", "eps_ee_d", "eps_mumu_d"]
LOGZ = -5 * np.log(2.0)


def gaussian_card(sampler: dict, out: str) -> dict:
    return {
        "model": {"name": "nsi"},
        "likelihoods": {"use": ["gaussian"],
                        "gaussian": {"parameters": NAMES, "mean": MEAN, "cov": COV}},
        "parameters": {n: {"prior": "uniform", "min": -1.0, "max": 1.0} for n in NAMES},
        "sampler": copy.deepcopy(sampler),
        "output": {"dir": out},
    }


def counting_card(sampler: dict, out: str) -> dict:
    """Poisson counting, n = b = 0, s = 1, flat prior on g' in [0, 12]: the Bayesian 95% upper limit
    is -ln 0.05 = 2.996 (textbook), the profile Delta chi2 = 3.84 bound 3.84/2 = 1.92."""
    return {
        "model": {"name": "zprime"},
        "likelihoods": {"use": ["poisson_counting"],
                        "poisson_counting": {"parameter": "g_prime", "observed": 0,
                                             "background": 0.0, "signal": 1.0}},
        "parameters": {"g_prime": {"prior": "uniform", "min": 0.0, "max": 12.0},
                       "m_zprime": {"value": 1.0}},
        "sampler": copy.deepcopy(sampler),
        "output": {"dir": out},
    }


def tiny_card(out: str, names: tuple[str, str] = ("eps_ee_u", "eps_ee_d"), **sampler) -> dict:
    """A 2-D Gaussian (means 0.1, -0.2, sd 0.1 and 0.2) with a small dynesty run (seconds):
    for tests of the run folder, not of the physics."""
    return {
        "model": {"name": "nsi"},
        "likelihoods": {"use": ["gaussian"],
                        "gaussian": {"parameters": list(names), "mean": [0.1, -0.2],
                                     "cov": [[0.01, 0.0], [0.0, 0.04]]}},
        "parameters": {n: {"prior": "uniform", "min": -1.0, "max": 1.0} for n in names},
        "sampler": {"name": "dynesty", "nlive": 30, "dlogz": 0.5, "seed": 1, **sampler},
        "output": {"dir": out},
    }
