"""Samplers against analytic answers: evidence, moments, determinism, upper limits."""

from pathlib import Path

import numpy as np
import pytest

from globalfit.card import RunCard
from globalfit.results import load_samples, load_summary
from globalfit.runner import run_card
from tests.framework.cards import COV, LOGZ, MEAN, NAMES, counting_card, gaussian_card

SD = np.sqrt(np.diag(COV))


def _run(raw: dict, tmp: Path):
    d, summary = run_card(RunCard.from_dict(raw), progress=False)
    return d, summary


def _check_moments(samples: dict, tol: float = 0.05):
    # means within 5% of the posterior sd, sds within 5% (issue #2 acceptance)
    for i, n in enumerate(NAMES):
        x = samples[n]
        assert abs(x.mean() - MEAN[i]) < tol * SD[i], n
        assert x.std() == pytest.approx(SD[i], rel=tol), n


def test_dynesty_gaussian_evidence_and_moments(tmp_path):
    _, s = _run(gaussian_card({"name": "dynesty", "nlive": 500, "seed": 3},
                              str(tmp_path / "d")), tmp_path)
    ev = s["evidence"]
    assert abs(ev["logz"] - LOGZ) < 3 * ev["logz_err"]  # analytic log Z = -5 ln 2
    samples = load_samples(tmp_path / "d")
    for i, n in enumerate(NAMES):  # one seed: 4 Monte Carlo sigma (ESS ~ 2500)
        assert abs(samples[n].mean() - MEAN[i]) < 4 * SD[i] / np.sqrt(s["diagnostics"]["ess"])
        assert samples[n].std() == pytest.approx(SD[i], rel=0.06)
    # the result folder of architecture.md
    assert {p.name for p in (tmp_path / "d").iterdir()} >= {"posterior.nc", "summary.json",
                                                            "corner.png"}
    assert not (tmp_path / "d" / "checkpoint").exists()
    for key in ("model", "likelihoods", "sampler", "evidence", "parameters", "best_fit",
                "diagnostics", "provenance"):
        assert key in s
    assert set(s["parameters"]["eps_ee_u"]) == {"mean", "sd", "median", "hdi68", "hdi95",
                                                "upper95", "lower95", "hdi95_regions",
                                                "upper95_err", "lower95_err"}


def test_nuts_gaussian_moments(tmp_path):
    _, s = _run(gaussian_card({"name": "nuts", "chains": 2, "warmup": 500, "samples": 3000,
                               "seed": 2}, str(tmp_path / "n")), tmp_path)
    assert s["evidence"] is None
    assert s["diagnostics"]["divergences"] == 0
    assert max(s["diagnostics"]["r_hat"].values()) < 1.01
    _check_moments(load_samples(tmp_path / "n"))


def test_same_seed_same_samples(tmp_path):
    for name, settings in [("dynesty", {"nlive": 100, "seed": 7}),
                           ("nuts", {"chains": 1, "warmup": 100, "samples": 200, "seed": 7})]:
        a = _run(gaussian_card({"name": name, **settings}, str(tmp_path / f"{name}a")), tmp_path)
        b = _run(gaussian_card({"name": name, **settings}, str(tmp_path / f"{name}b")), tmp_path)
        sa, sb = load_samples(a[0]), load_samples(b[0])
        for n in NAMES:
            np.testing.assert_array_equal(sa[n], sb[n])


def test_poisson_upper_limit_both_samplers(tmp_path):
    # textbook: n = 0, b = 0, flat prior -> 95% upper limit on s x = -ln 0.05 = 2.996
    # tolerance 8%: three Monte Carlo errors of a 95% quantile (sqrt(0.05 0.95 / ESS) / pdf,
    # 2.5% at ESS ~ 3000)
    for name, st in [("dynesty", {"nlive": 1500, "seed": 1}),
                     ("nuts", {"chains": 2, "warmup": 300, "samples": 3000, "seed": 1})]:
        _, s = _run(counting_card({"name": name, **st}, str(tmp_path / name)), tmp_path)
        assert s["parameters"]["g_prime"]["upper95"] == pytest.approx(-np.log(0.05), rel=0.08)


@pytest.mark.slow
def test_dynesty_five_seeds(tmp_path):
    pooled = {n: [] for n in NAMES}
    for seed in range(1, 6):
        d, s = _run(gaussian_card({"name": "dynesty", "nlive": 500, "seed": seed},
                                  str(tmp_path / f"s{seed}")), tmp_path)
        ev = s["evidence"]
        assert abs(ev["logz"] - LOGZ) < 3 * ev["logz_err"], (seed, ev)
        for n, x in load_samples(d).items():
            pooled[n].append(x)
    _check_moments({n: np.concatenate(v) for n, v in pooled.items()})


@pytest.mark.slow
def test_dynamic_nested_sampling_gaussian(tmp_path):
    _, s = _run(gaussian_card({"name": "dynesty", "nlive": 300, "dynamic": True, "seed": 4},
                              str(tmp_path / "dyn")), tmp_path)
    assert abs(s["evidence"]["logz"] - LOGZ) < 3 * s["evidence"]["logz_err"]


@pytest.mark.slow
def test_eggbox_evidence(tmp_path):
    # Feroz et al. arXiv:0809.3437 table 1: log Z = 235.88 on [0, 10 pi]^2
    raw = {"model": {"name": "nsi"}, "likelihoods": {"use": ["eggbox"]},
           "parameters": {n: {"prior": "uniform", "min": 0.0, "max": 10 * np.pi}
                          for n in ("eps_ee_u", "eps_mumu_u")},
           "sampler": {"name": "dynesty", "nlive": 1000, "seed": 1, "sample": "unif"},
           "output": {"dir": str(tmp_path / "egg")}}
    _, s = _run(raw, tmp_path)
    # Z = int L dpi with the uniform prior on the box, as in Feroz et al.
    logz = s["evidence"]["logz"]
    assert abs(logz - 235.88) < 3 * s["evidence"]["logz_err"]
    assert load_summary(tmp_path / "egg")["sampler"]["name"] == "dynesty"


def test_batched_proposal_queue(tmp_path):
    # the pool that evaluates dynesty's whole proposal queue in one vectorised call gives the
    # same evidence (analytic -5 ln 2, 3 sigma) and is reproducible
    card = gaussian_card({"name": "dynesty", "nlive": 200, "seed": 11, "queue_size": 8},
                         str(tmp_path / "q8"))
    d, s = _run(card, tmp_path)
    assert s["sampler"]["settings"]["queue_size"] == 8
    assert abs(s["evidence"]["logz"] - LOGZ) < 3 * s["evidence"]["logz_err"]
    card["output"]["dir"] = str(tmp_path / "q8b")
    d2, _ = _run(card, tmp_path)
    np.testing.assert_array_equal(load_samples(d)["eps_ee_u"], load_samples(d2)["eps_ee_u"])


def test_nuts_dense_mass_on_a_correlated_posterior(tmp_path):
    # two parameters with correlation 0.995 (sd 0.05 each): a diagonal mass matrix can only
    # take steps as short as the narrow direction (sd 0.05 sqrt(1 - 0.995) = 0.0035), a dense
    # one adapts to the correlation; both must reproduce the covariance, dense with shorter
    # trajectories (mean tree size, numpyro's num_steps)
    import arviz as az

    names, cov = ["eps_ee_u", "eps_mumu_u"], [[0.0025, 0.0024875], [0.0024875, 0.0025]]
    steps = {}
    for dense in (False, True):
        raw = gaussian_card({"name": "nuts", "chains": 1, "warmup": 300, "samples": 600,
                             "seed": 3, "dense_mass": dense}, str(tmp_path / str(dense)))
        raw["likelihoods"]["gaussian"] = {"parameters": names, "mean": [0.0, 0.0], "cov": cov}
        raw["parameters"] = {n: {"prior": "uniform", "min": -1.0, "max": 1.0} for n in names}
        _, s = _run(raw, tmp_path)
        x = load_samples(tmp_path / str(dense))
        # correlation 0.995 within 0.005, sds 0.05 within 15% (600 correlated draws)
        assert np.corrcoef(x[names[0]], x[names[1]])[0, 1] == pytest.approx(0.995, abs=0.005)
        assert np.std(x[names[0]]) == pytest.approx(0.05, rel=0.15)
        idata = az.from_netcdf(str(tmp_path / str(dense) / "posterior.nc"))
        steps[dense] = float(idata.sample_stats["tree_size"].mean())
    assert steps[True] < 0.5 * steps[False], steps


def test_nuts_chains_in_threads_give_the_sequential_draws(tmp_path):
    # chain_method = "threads" runs the chains side by side (one per core); every chain keeps
    # its own key in its state, so the draws are those of "sequential", bit for bit
    from globalfit.errors import GlobalfitError

    draws = {}
    for method in ("sequential", "threads"):
        raw = gaussian_card({"name": "nuts", "chains": 3, "warmup": 50, "samples": 40,
                             "seed": 4, "chain_method": method, "chunk": 30},
                            str(tmp_path / method))
        _, s = _run(raw, tmp_path)
        assert s["sampler"]["settings"]["chain_method"] == method
        draws[method] = load_samples(tmp_path / method)
    for n in NAMES:
        np.testing.assert_array_equal(draws["sequential"][n], draws["threads"][n])
    # a likelihood that has not declared parallel_points: one sentence
    raw = counting_card({"name": "nuts", "chains": 2, "warmup": 5, "samples": 5,
                         "chain_method": "threads"}, str(tmp_path / "c"))
    with pytest.raises(GlobalfitError, match="poisson_counting do not"):
        _run(raw, tmp_path)
