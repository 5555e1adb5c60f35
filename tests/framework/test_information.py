"""Information gain, model dimensionality, tension and reweighting against the closed forms of
Gaussian likelihoods (Handley & Lemos, arXiv:1902.04029 and 1903.06682)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from globalfit import information as info
from globalfit.card import RunCard
from globalfit.chains import Chains
from globalfit.runner import run_card

BOX = 2.0  # uniform priors on [-2, 2] in each parameter: far wider than every Gaussian below
NAMES = ["eps_ee_u", "eps_mumu_u"]
A = {"mean": [0.10, -0.05], "cov": [[0.010, 0.003], [0.003, 0.020]]}
B = {"mean": [0.25, 0.10], "cov": [[0.020, -0.004], [-0.004, 0.015]]}


def _card(uses: dict[str, dict], out) -> dict:
    return {
        "model": {"name": "nsi"},
        "likelihoods": {"use": list(uses),
                        **{k: {"parameters": NAMES, **v} for k, v in uses.items()}},
        "parameters": {n: {"prior": "uniform", "min": -BOX, "max": BOX} for n in NAMES},
        "sampler": {"name": "dynesty", "nlive": 400, "seed": 3},
        "output": {"dir": str(out)},
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("info")
    out = {}
    for key, uses in {"A": {"gaussian": A}, "B": {"gaussian_b": B},
                      "AB": {"gaussian": A, "gaussian_b": B}}.items():
        d, _ = run_card(RunCard.from_dict(_card(uses, tmp / key)), progress=False)
        out[key] = Chains.from_run(d)
    return out


def draws(ch: Chains, seed: int = 0) -> np.ndarray:
    return info.run_draws(ch.loglike, ch.logl_birth, nsamples=400, seed=seed)


def test_single_gaussian_statistics_match_the_closed_form(runs):
    exact = info.gaussian_closed_form(A["mean"], A["cov"], [-BOX] * 2, [BOX] * 2)
    got = info.summarise(draws(runs["A"]))
    # tolerance: 4 x the nested-sampling spread anesthetic reports (nlive = 400), and for d_G
    # (a posterior variance, whose spread the volume draws miss) 4 x its sampling error
    # sqrt(2 d^2 / ESS) with ESS ~ 1000
    for s in ("logZ", "D_KL", "logL_P"):
        assert abs(got[s]["mean"] - exact[s]) < 4 * got[s]["sd"] + 0.02, (s, got[s], exact[s])
    assert abs(got["d_G"]["mean"] - 2.0) < 0.4
    assert got["bits"]["mean"] == pytest.approx(got["D_KL"]["mean"] / math.log(2))


def test_tension_statistics_match_the_closed_form(runs):
    exact = info.gaussian_tension_closed_form(A["mean"], A["cov"], B["mean"], B["cov"],
                                              [-BOX] * 2, [BOX] * 2)
    d = {k: draws(v, seed=i) for i, (k, v) in enumerate(runs.items())}
    t = info.tension(d["AB"], d["A"], d["B"])
    # by hand: delta = (-0.15, -0.15), C_A + C_B = [[0.030, -0.001], [-0.001, 0.035]], det =
    # 1.049e-3, chi2 = 0.0225 (0.035 + 0.002 + 0.030) / 1.049e-3 = 1.437; ln S = 1 - chi2/2 =
    # 0.281; p = exp(-chi2/2) = 0.488 (chi2 with 2 degrees of freedom)
    assert exact["chi2"] == pytest.approx(1.437, abs=1e-3)
    assert exact["logS"] == pytest.approx(0.2815, abs=1e-3)
    assert exact["p"] == pytest.approx(0.4875, abs=1e-3)
    for s in ("logR", "logI", "logS"):
        assert abs(t[s]["mean"] - exact[s]) < 4 * t[s]["sd"] + 0.05, (s, t[s], exact[s])
    assert abs(t["d"]["mean"] - 2.0) < 0.6
    assert abs(t["p"]["mean"] - exact["p"]) < 0.15


def test_reweighting_a_by_b_reproduces_the_joint_run(runs):
    """Z_AB / Z_A = E_{P_A}[L_B]: the reweighted evidence and information agree with the joint
    run and the closed form within their Monte Carlo errors."""
    import jax.numpy as jnp

    from globalfit.fit import Fit

    fit_b = Fit("nsi", ["gaussian_b"], priors={n: {"prior": "uniform", "min": -BOX, "max": BOX}
                                                for n in NAMES},
                likelihood_options={"gaussian_b": {"parameters": NAMES, **B}})
    a = runs["A"]
    logl_b = np.asarray(fit_b.loglike(jnp.asarray(a.samples)))
    ess = info.effective_sample_size(np.log(a.weights) + logl_b)
    got = info.summarise(info.run_draws(a.loglike + logl_b, a.logl_birth, a.loglike,
                                        nsamples=400))
    joint = info.summarise(draws(runs["AB"]))
    assert ess > 400
    for s in ("logZ", "D_KL", "logL_P"):
        err = math.hypot(got[s]["sd"], joint[s]["sd"])
        assert abs(got[s]["mean"] - joint[s]["mean"]) < 4 * err + 0.05, (s, got[s], joint[s])


def test_effective_sample_size():
    assert info.effective_sample_size(np.zeros(10)) == pytest.approx(10.0)
    assert info.effective_sample_size(np.array([0.0, -np.inf, -np.inf])) == pytest.approx(1.0)
    assert info.effective_sample_size(np.full(3, -np.inf)) == 0.0
