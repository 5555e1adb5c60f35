"""Fit: batching, gradients, components, capability checks and the errors users meet."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from globalfit import Fit, GlobalfitError, Likelihood, get_likelihood, list_likelihoods
from globalfit.card import RunCard
from priors import Uniform

GAUSS = {"parameters": ["eps_ee_u", "eps_mumu_u"], "mean": [0.1, -0.2],
         "cov": [[0.04, 0.01], [0.01, 0.09]]}


def gauss_fit(**kw):
    return Fit("nsi", ["gaussian"], priors={"eps_ee_u": Uniform(-1, 1),
                                            "eps_mumu_u": Uniform(-1, 1)},
               likelihood_options={"gaussian": GAUSS}, **kw)


def test_registry_lists_builtins():
    names = list_likelihoods()
    assert {"gaussian", "poisson_counting", "eggbox"} <= set(names)
    with pytest.raises(GlobalfitError, match="gaussian"):
        get_likelihood("gausian")


def test_loglike_matches_analytic_gaussian():
    fit = gauss_fit()
    cov = np.array(GAUSS["cov"])
    x = np.array([0.3, 0.1])
    d = x - np.array(GAUSS["mean"])
    ref = -0.5 * d @ np.linalg.solve(cov, d) - 0.5 * math.log(np.linalg.det(2 * math.pi * cov))
    assert float(fit.loglike(x)) == pytest.approx(ref, rel=1e-12)
    assert float(fit.logprior(x)) == pytest.approx(-2 * math.log(2.0), rel=1e-12)
    assert float(fit.logpost(x)) == pytest.approx(ref - 2 * math.log(2.0), rel=1e-12)
    assert float(fit.logpost(np.array([1.5, 0.0]))) == -math.inf


def test_batch_equals_single_and_dict_input():
    fit = gauss_fit()
    xs = np.random.default_rng(1).uniform(-1, 1, (64, 2))
    batch = np.asarray(fit.loglike(xs))
    single = np.array([float(fit.loglike(x)) for x in xs])
    np.testing.assert_allclose(batch, single, rtol=1e-13)
    d = {"eps_ee_u": xs[:, 0], "eps_mumu_u": xs[:, 1]}
    np.testing.assert_allclose(np.asarray(fit.loglike(d)), batch, rtol=1e-13)
    comps = fit.loglike_components(xs)
    np.testing.assert_allclose(np.asarray(comps["gaussian"]), batch, rtol=1e-13)


def test_gradient_matches_analytic():
    fit = gauss_fit()
    x = jnp.array([0.3, 0.1])
    _, g = fit.logpost_and_grad(x)
    d = np.asarray(x) - np.array(GAUSS["mean"])
    np.testing.assert_allclose(np.asarray(g), -np.linalg.solve(np.array(GAUSS["cov"]), d),
                               rtol=1e-12)
    gj = jax.grad(fit.raw_loglike)(x)
    np.testing.assert_allclose(np.asarray(gj), np.asarray(g), rtol=1e-12)


def test_prior_transform_maps_cube():
    fit = gauss_fit()
    np.testing.assert_allclose(fit.prior_transform(np.array([0.0, 1.0])), [-1.0, 1.0])
    np.testing.assert_allclose(fit.prior_transform(np.full((3, 2), 0.5)), np.zeros((3, 2)))


def test_nuisances_are_prefixed_and_sampled():
    fit = Fit("nsi", ["poisson_counting"], priors={"eps_ee_u": Uniform(0, 10)},
              likelihood_options={"poisson_counting": {"observed": 3, "background": 1.0,
                                                       "sigma_b": 0.1}})
    assert fit.parameters == ["eps_ee_u", "poisson_counting.beta"]
    # log L = n log(mu) - mu - log n!  with mu = s x + b (1 + beta)
    mu = 2.0 + 1.0 * 1.2
    assert float(fit.loglike(np.array([2.0, 0.2]))) == pytest.approx(
        3 * math.log(mu) - mu - math.log(6), rel=1e-12)
    exp = fit.expected(np.array([2.0, 0.2]))
    assert exp["poisson_counting"]["signal"][0] == pytest.approx(2.0)


def test_unknown_parameter_suggests_near_name():
    with pytest.raises(GlobalfitError, match="eps_ee_u"):
        Fit("nsi", ["gaussian"], priors={"eps_e_u": Uniform(-1, 1)})


def test_out_of_domain_prior_refused():
    with pytest.raises(GlobalfitError, match="m_zprime"):
        Fit("zprime", [], priors={"g_prime": Uniform(0, 1), "m_zprime": Uniform(-1, 1)})


class NeedsScalar(Likelihood):
    name = "needs_scalar"
    requires = frozenset({"scalar_couplings"})

    def loglike(self, point):
        return -point.scalar_couplings().lam[0, 0] ** 2


class ReturnsNaN(Likelihood):
    name = "returns_nan"

    def loglike(self, point):
        x = point.params["eps_ee_u"]
        return jnp.where(x > 0.5, jnp.nan, -x**2)


def test_capability_mismatch_message():
    with pytest.raises(GlobalfitError) as err:
        Fit("nsi", [NeedsScalar()], priors={"eps_ee_u": Uniform(-1, 1)})
    msg = str(err.value)
    assert "needs_scalar" in msg and "scalar_couplings" in msg and "'nsi'" in msg


def test_nan_reports_the_point():
    fit = Fit("nsi", [ReturnsNaN()], priors={"eps_ee_u": Uniform(-1, 1)})
    with pytest.raises(GlobalfitError, match=r"returns_nan.*eps_ee_u=0\.7"):
        x = np.array([[0.1], [0.7]])
        fit.check_finite(x, fit.loglike(x))


def test_unknown_likelihood_option():
    with pytest.raises(GlobalfitError, match="observed"):
        get_likelihood("poisson_counting", observd=3)


def test_card_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\nname = 'nsi'")
    with pytest.raises(GlobalfitError, match="not valid TOML"):
        RunCard.load(bad)
    with pytest.raises(GlobalfitError, match="sampler"):
        RunCard.from_dict({"model": {"name": "nsi"}, "sampler": {"name": "emcee"}})
    with pytest.raises(GlobalfitError, match="parameters"):
        RunCard.from_dict({"model": {"name": "nsi"}, "paramters": {}})
    with pytest.raises(GlobalfitError, match="nlive"):
        RunCard.from_dict({"model": {"name": "nsi"}, "sampler": {"name": "dynesty", "nlife": 3}})
    with pytest.raises(GlobalfitError, match="not in"):
        RunCard.from_dict({"model": {"name": "nsi"}, "likelihoods": {"use": [],
                                                                     "gaussian": {}}})


def test_fit_with_every_parameter_fixed():
    # a Fit with nothing free still evaluates (expected counts at a fixed point)
    fit = Fit("nsi", ["poisson_counting"], priors={"eps_ee_u": 2.0},
              likelihood_options={"poisson_counting": {"observed": 1, "background": 1.0}})
    assert fit.ndim == 0
    assert float(fit.loglike({})) == pytest.approx(math.log(3.0) - 3.0, rel=1e-12)
    assert fit.expected([])["poisson_counting"]["signal"][0] == pytest.approx(2.0)


class SharedA(Likelihood):
    name = "shared_a"
    width = 0.1

    def shared_priors(self):
        from priors import Normal

        return {"dm21": Normal(7.5e-5, self.width * 1e-5)}

    def loglike(self, point):
        return -(point["dm21"] - 7.5e-5) ** 2


class SharedSame(SharedA):
    name = "shared_same"


class SharedB(SharedA):
    name = "shared_b"
    width = 0.2


def test_shared_nuisance_is_one_parameter_and_mismatch_is_refused():
    from priors import Normal

    fit = Fit("nsi", [SharedA(), SharedSame()])
    assert fit.parameters == ["dm21"]  # declared by both, sampled once
    with pytest.raises(GlobalfitError, match="shared parameter 'dm21'"):
        Fit("nsi", [SharedA(), SharedB()])
    fit = Fit("nsi", [SharedA(), SharedB()], priors={"dm21": Normal(7.5e-5, 2e-6)})
    assert fit.priors["dm21"] == Normal(7.5e-5, 2e-6)


def test_tied_parameters():
    # quark-universal NSI: eps_ee_d = eps_ee_u, so eps_matter_ee = 3 eps_u + 3 eps_d = 6 eps_u
    fit = Fit("nsi", ["gaussian"], priors={"eps_ee_u": Uniform(-1, 1),
                                           "eps_ee_d": {"same_as": "eps_ee_u"},
                                           "eps_mumu_d": {"same_as": "eps_ee_u", "scale": -2.0}},
              likelihood_options={"gaussian": {"parameters": ["eps_ee_d", "eps_mumu_d"],
                                               "mean": [0.1, -0.2], "cov": [[1, 0], [0, 1]]}})
    assert fit.parameters == ["eps_ee_u"]
    p = fit.point([0.1])
    assert p["eps_ee_d"] == pytest.approx(0.1) and p["eps_mumu_d"] == pytest.approx(-0.2)
    assert float(fit.loglike([0.1])) == pytest.approx(-math.log(2 * math.pi), rel=1e-12)
    with pytest.raises(GlobalfitError, match="tied to unknown"):
        Fit("nsi", [], priors={"eps_ee_d": {"same_as": "eps_ee_uu"}})


def test_large_batches_go_in_chunks():
    fit = gauss_fit()
    xs = np.random.default_rng(3).uniform(-1, 1, (2 * Fit.CHUNK + 17, 2))
    whole = np.asarray(fit.loglike(xs))
    parts = np.concatenate([np.asarray(fit.loglike(xs[:100])), np.asarray(fit.loglike(xs[100:]))])
    np.testing.assert_allclose(whole, parts, rtol=1e-13)
    assert np.asarray(fit.loglike(xs.reshape(-1, 1, 2))).shape == (len(xs), 1)


def test_multimodal_hdi_regions():
    # two well separated normal islands of equal weight: two 95% regions near mu +- 1.96 sd
    from globalfit.results import parameter_summary

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-1.0, 0.05, 20000), rng.normal(1.0, 0.05, 20000)])
    regions = parameter_summary(x)["hdi95_regions"]
    assert len(regions) == 2
    for (lo, hi), mu in zip(regions, (-1.0, 1.0), strict=True):
        assert lo == pytest.approx(mu - 0.098, abs=0.015) and hi == pytest.approx(
            mu + 0.098, abs=0.015)  # histogram bins of ~0.012


def test_hdi_regions_close_tail_slivers():
    """A unimodal posterior gives one region whatever the seed. With only one-bin gaps closed,
    2000-draw normal samples split off tail slivers in 4 of 50 seeds and Student-t(5) samples
    in 2 of 50 (seen on a 4000-draw NUTS run); gaps of up to 3 bins are closed now. Edges of the
    normal case: mu -+ 1.96 sd within 0.5 sd (bins of ~0.15 sd, a closed gap adds up to 3)."""
    from globalfit.results import hdi_regions

    for seed in range(50):
        rng = np.random.default_rng(seed)
        x = rng.normal(0.0, 0.01, 2000)
        regions = hdi_regions(x)
        assert len(regions) == 1, (seed, regions)
        assert regions[0][0] == pytest.approx(-0.0196, abs=0.005)
        assert regions[0][1] == pytest.approx(0.0196, abs=0.005)
        assert len(hdi_regions(0.01 * rng.standard_t(5, 4000))) == 1, seed


class InChunks(Likelihood):
    """A likelihood that asks for its batches two points at a time (Likelihood.batch_size)."""

    name = "in_chunks"
    batch_size = 2

    def loglike(self, point):
        x = point.params["eps_ee_u"]
        return -0.5 * (x - 0.1) ** 2 / 0.04


class InThreads(InChunks):
    """The same, allowing its points to run at the same time (Likelihood.parallel_points)."""

    name = "in_threads"
    parallel_points = True


def test_parallel_points_spread_a_batch_over_threads(monkeypatch):
    # with parallel_points (and batch_size) a batch runs one point per call on every core
    # (globalfit/threaded_batch.py): the values of single calls, no padding, any length; a Fit
    # holding a likelihood without parallel_points keeps jax.lax.map
    import threading

    import globalfit.fit
    from globalfit.threaded_batch import ThreadedBatch

    monkeypatch.setattr(globalfit.fit, "cpu_cores", lambda: 3)
    fit = Fit("nsi", [InThreads()], priors={"eps_ee_u": Uniform(-1, 1)})
    single, batched = fit._c.functions["loglike"]
    assert fit._c.point_threads == 3 and isinstance(batched, ThreadedBatch)
    assert not isinstance(Fit("nsi", [InThreads(), InChunks()], priors={
        "eps_ee_u": Uniform(-1, 1)})._c.functions["loglike"][1], ThreadedBatch)
    seen = set()
    inner = batched.single
    monkeypatch.setattr(batched, "single",
                        lambda *a: seen.add(threading.current_thread().name) or inner(*a))
    for n in (1, 2, 5, 9):
        xs = np.linspace(-0.9, 0.9, n)[:, None]
        # exact value: -(x - 0.1)^2 / (2 * 0.04); 1e-12 relative (float64 rounding only)
        assert np.allclose(fit.loglike(xs), -0.5 * (xs[:, 0] - 0.1) ** 2 / 0.04, rtol=1e-12)
        comps = fit.loglike_components(xs)["in_threads"]
        assert comps.shape == (n,)
    assert len({t for t in seen if t.startswith("globalfit-point")}) >= 2


def test_batch_size_maps_in_chunks_with_the_same_values():
    # a batch evaluated two points at a time (jax.lax.map) gives what single calls give, for
    # any batch length (padded to a power of two, odd lengths included); a Fit of likelihoods
    # without batch_size keeps one vmap
    fit = Fit("nsi", [InChunks()], priors={"eps_ee_u": Uniform(-1, 1)})
    assert fit._c.batch_size == 2 and gauss_fit()._c.batch_size is None
    for n in (1, 3, 8):
        xs = np.linspace(-0.9, 0.9, n)[:, None]
        single = np.array([float(fit.loglike(x)) for x in xs])
        # exact value: -(x - 0.1)^2 / (2 * 0.04); 1e-12 relative (float64 rounding only)
        assert np.allclose(fit.loglike(xs), single, rtol=1e-12, atol=0.0)
        assert np.allclose(single, -0.5 * (xs[:, 0] - 0.1) ** 2 / 0.04, rtol=1e-12, atol=0.0)
