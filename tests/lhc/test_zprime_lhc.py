"""LHC Z' likelihoods: production, published benchmarks, recasts, validity and jax behaviour."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

import globalfit
from globalfit.data import locate
from likelihoods.lhc import production, validate
from likelihoods.lhc.dilepton_resonance import DileptonResonance
from likelihoods.lhc.four_lepton import FourLepton
from likelihoods.limit_curves import read_csv


def fit(name, m, charges="A", **opts):
    return globalfit.Fit(model="zprime", model_options={"charges": charges}, likelihoods=[name],
                         likelihood_options={name: opts},
                         priors={"g_prime": {"prior": "loguniform", "min": 1e-6, "max": 1.0},
                                 "m_zprime": m})


def g95(f):
    from scipy.optimize import brentq
    return 10 ** brentq(lambda lg: -2 * float(f.loglike(jnp.array([10**lg]))) - 3.84, -6, 0.5)


def test_ssm_benchmark_excluded_below_5p1_tev():
    # ATLAS 1903.06248: SSM Z' (3% width) excluded below 5.1 TeV; tolerance 0.15 TeV ~ 25% in sigma.
    assert validate.mass_limit(validate.ssm_sigma_fb, 0.03) == pytest.approx(5100.0, abs=150.0)


def test_psi_benchmark_excluded_below_4p5_tev():
    # ATLAS 1903.06248 abstract: Z'_psi (0.5% width) excluded below 4.5 TeV; tolerance 0.15 TeV.
    assert validate.mass_limit(validate.psi_sigma_fb, 0.005) == pytest.approx(4500.0, abs=150.0)


def test_production_scales_with_couplings_and_narrow_width_formula():
    # sigma = (pi / 4M^2) BR sum g_q^2 T2_q, by hand at a tabulated mass (1000.1 GeV, card T2)
    m = 1000.1
    s = float(production.sigma_fid_fb(m, 1.0, 0.0, 1.0))
    hand = 3.8937937e11 * math.pi / (4 * m**2) * 0.49471
    assert s == pytest.approx(hand, rel=1e-3)  # interpolation through the tabulated point
    # 14 TeV: T2 at M equals the 13 TeV T2 at 13M/14 (tau = M^2/s scaling)
    u14, _ = production.t2(2000.0, 14.0)
    u13, _ = production.t2(2000.0 * 13 / 14, 13.0)
    assert float(u14) == pytest.approx(float(u13), rel=1e-12)
    assert float(u14) > float(production.t2(2000.0, 13.0)[0])  # more luminosity at 14 TeV


def test_dimuon_only_costs_sqrt2_in_coupling():
    # Set A couples to muons only; with the same BR a flavour-universal lepton coupling would put
    # the same rate in ee: s = (sB_ee + sB_mumu)/2 doubles -> g95 smaller by 2^(1/4) (s ~ g^2... at
    # fixed BR). Check directly on the likelihood's signal function.
    lik = DileptonResonance()
    ch = globalfit.get_model("zprime", charges="A").fermion_charges()
    s_mu, _ = lik.signal_fb(0.1, 1000.0, ch)
    ch_e = dict(ch, e=ch["mu"])
    from globalfit.models.zprime_widths import branching_ratios
    br_mu = branching_ratios(1.0, 1000.0, ch)["mumu"]
    s_both, _ = lik.signal_fb(0.1, 1000.0, ch_e)
    br_both = branching_ratios(1.0, 1000.0, ch_e)["mumu"]
    assert float(s_both / br_both) == pytest.approx(2 * float(s_mu / br_mu), rel=1e-12)


def test_hl_lhc_projection_scaling():
    # s95(L) = s0 r + (s95 - s0) sqrt(r): at 3000/fb and a limit far above the plateau -> sqrt(r)
    now, hl = DileptonResonance(), DileptonResonance(luminosity_fb=3000.0)
    r = 139.0 / 3000.0
    s0 = 0.014
    for m in (500.0, 1000.0):
        s = float(now.limit_fb(m, 0.0))
        assert float(hl.limit_fb(m, 0.0)) == pytest.approx(s0 * r + (s - s0) * math.sqrt(r),
                                                           rel=1e-9)
    # and at 14 TeV the bound on g' improves further
    g13 = g95(fit("lhc_dilepton_resonance", 1000.0, luminosity_fb=3000.0))
    g14 = g95(fit("lhc_dilepton_resonance", 1000.0, luminosity_fb=3000.0, sqrt_s_TeV=14.0))
    g_now = g95(fit("lhc_dilepton_resonance", 1000.0))
    assert g14 < g13 < g_now


def test_dilepton_bound_scales_as_limit():
    # Delta chi2 = 3.84 exactly where s = s95: check on the likelihood itself at 2 TeV, set A
    lik = DileptonResonance()
    ch = globalfit.get_model("zprime", charges="A").fermion_charges()
    g = g95(fit("lhc_dilepton_resonance", 2000.0))
    s, w = lik.signal_fb(g, 2000.0, ch)
    assert float(s) == pytest.approx(float(lik.limit_fb(2000.0, w)), rel=1e-6)


def test_four_lepton_dark_photon_identity():
    # A Z' with dark-photon charges (eps e Q_f, no neutrinos) must give eps_eff = g / e exactly.
    lik = FourLepton()
    from likelihoods.lhc.four_lepton import DARK_PHOTON_CHARGES
    # The Z' model gives neutrinos the lepton charge; compare eps_eff with the explicit formula.
    g, m = 1e-3, 20.0
    e = math.sqrt(4 * math.pi * globalfit.constants.ALPHA_EM)
    eps = float(lik.eps_eff(g, m, DARK_PHOTON_CHARGES))
    from globalfit.models.zprime_widths import branching_ratios
    ratio = float(branching_ratios(1.0, m, DARK_PHOTON_CHARGES)["mumu"]
                  / branching_ratios(1.0, m, DARK_PHOTON_CHARGES, nu_charges={})["mumu"])
    assert eps == pytest.approx(g / e * math.sqrt(ratio), rel=1e-12)


def test_four_lepton_bound_equals_published_eps():
    # At the bound, eps_eff = eps95 of the built-in table (CMS scouting only, 30 GeV).
    f = fit("lhc_four_lepton", 30.0, searches=["cms_scouting"])
    g = g95(f)
    lik = f.likelihoods[0]
    ch = f.model.fermion_charges()
    chi2 = lik.chi2_by_search(g, 30.0, ch)["cms_scouting"]
    assert float(chi2) == pytest.approx(3.84, rel=1e-6)


@pytest.mark.parametrize("name,bad", [("lhc_dilepton_resonance", (100.0, 1000.0)),
                                       ("lhc_four_lepton", (0.1, 10.0)),
                                       ("lhc_four_lepton", (50.0, 200.0))])
def test_check_model_refuses_out_of_range(name, bad):
    with pytest.raises(globalfit.GlobalfitError, match="applies for"):
        globalfit.Fit(model="zprime", likelihoods=[name],
                      priors={"g_prime": 0.1,
                              "m_zprime": {"prior": "uniform", "min": bad[0], "max": bad[1]}})


def test_bad_options():
    with pytest.raises(globalfit.GlobalfitError):
        DileptonResonance(limits="nonsense")
    with pytest.raises(globalfit.GlobalfitError):
        DileptonResonance(sqrt_s_TeV=8.0)
    with pytest.raises(globalfit.GlobalfitError):
        FourLepton(searches=["atlas"])


@pytest.mark.parametrize("name,m", [("lhc_dilepton_resonance", 1500.0), ("lhc_four_lepton", 20.0)])
def test_jit_vmap_grad_finite(name, m):
    f = globalfit.Fit(model="zprime", likelihoods=[name],
                      priors={"g_prime": {"prior": "loguniform", "min": 1e-6, "max": 1.0},
                              "m_zprime": {"prior": "uniform", "min": m * 0.9, "max": m * 1.1}})
    pts = jnp.array([[1e-3, m], [1e-2, m * 1.05], [0.3, m * 0.95]])
    v = f.loglike(pts)
    assert v.shape == (3,) and bool(jnp.all(jnp.isfinite(v)))
    val, grad = f.logpost_and_grad(pts[1])
    assert bool(jnp.all(jnp.isfinite(grad)))
    assert float(f.loglike(jnp.array([0.0, m]))) == 0.0  # no Z', no penalty


@pytest.mark.data
@pytest.mark.skipif(locate("lhc/atlas_1903.06248") is None,
                    reason="release lhc/atlas_1903.06248 not found (set GLOBALFIT_DATA_DIR)")
def test_builtin_table_rows_are_release_rows():
    # Every built-in row is a HEPData row (6 significant digits), every width column.
    rel = read_csv(locate("lhc/atlas_1903.06248") / DileptonResonance().card["release_file"])
    b = DileptonResonance()
    idx = np.searchsorted(rel[:, 0], b.mass)
    assert np.array_equal(rel[idx, 0], b.mass)
    assert np.allclose(rel[idx, 1:], np.exp(b.log_limit), rtol=1e-5)


@pytest.mark.data
@pytest.mark.skipif(locate("lhc/atlas_1903.06248") is None,
                    reason="release lhc/atlas_1903.06248 not found (set GLOBALFIT_DATA_DIR)")
@pytest.mark.parametrize("charges", ["A", "B"])
def test_builtin_and_release_bounds_agree_within_1pct_over_the_whole_range(charges):
    # The issue's requirement: the default (built-in) table gives the release's 95% bound on g'
    # within 1% at every mass of the range, tested at all 1101 HEPData masses and the midpoints
    # between them (2063 masses in 250 GeV - 5.3 TeV). The built-in rows reproduce every
    # release row within 1.5% in sigma x B (builtin_tables.py), i.e. 0.75% in g' (g' ~ sqrt(limit)).
    worst, at = validate.atlas_builtin_vs_release(charges)[1]
    assert worst < 0.01, f"{worst:.3%} at {at:g} GeV"


@pytest.mark.data
@pytest.mark.skipif(locate("lhc/lhcb_1910.06926") is None or locate("lhc/cms_exo19018") is None,
                    reason="releases lhc/lhcb_1910.06926, lhc/cms_exo19018 not found")
def test_four_lepton_release_loads_and_jits():
    f = fit("lhc_four_lepton", 20.0, limits="release")
    assert 1e-5 < g95(f) < 1e-2


@pytest.mark.parametrize("card", ["runs/zprime_A_lhc.toml", "runs/zprime_A_lhc_scan.toml",
                                  "runs/zprime_B_lhc_scan.toml", "runs/zprime_C_lhc_scan.toml"])
def test_run_cards_load_and_have_finite_gradients(card):
    from pathlib import Path
    f = globalfit.Fit.from_card(Path(__file__).parents[2] / card)
    val, grad = f.logpost_and_grad(jnp.array([0.01]))
    assert bool(jnp.isfinite(val)) and bool(jnp.all(jnp.isfinite(grad)))
