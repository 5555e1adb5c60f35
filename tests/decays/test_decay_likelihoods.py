"""The decay likelihoods: options, data treatment, flavour structure, jit/vmap/grad, run cards."""

from __future__ import annotations

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import globalfit
from globalfit import GlobalfitError
from globalfit.models import get_model
from globalfit.models.base import Point
from likelihoods.decays.base import limit_sigma
from likelihoods.decays.mesons import MesonDecays
from likelihoods.decays.tau import TauDecays
from likelihoods.decays.validate import chi2_function, pi_e_by_hand, upper_bound
from likelihoods.decays.w_decays import WDecays
from likelihoods.decays.z_invisible import ZInvisible

ROOT = Path(__file__).resolve().parents[2]
MODEL = get_model("scalar")


def point(m_phi=0.01, **lam):
    p = MODEL.defaults()
    p.update(lam)
    p["m_phi"] = m_phi
    return Point(MODEL, p, {})


@pytest.fixture(scope="module")
def liks():
    return {c.name: c() for c in (MesonDecays, TauDecays, ZInvisible, WDecays)}


def test_registered_names():
    for name in ("meson_decays", "tau_decays", "z_invisible", "w_decays", "lhc_ss_dilepton"):
        assert globalfit.get_likelihood(name).name == name


def test_every_seed_meson_row_is_a_channel(liks):
    # the seed's table: pi e; K e, mu; D e, mu; Ds e, mu; B e, mu
    assert list(liks["meson_decays"].all_components) == [
        "pi_e", "K_e", "K_mu", "D_e", "D_mu", "Ds_e", "Ds_mu", "B_e", "B_mu"]


def test_channel_selection_and_errors():
    lik = MesonDecays(exclude=["pi_e", "K_e"])
    assert "pi_e" not in [c.name for c in lik.components_used]
    assert [c.name for c in MesonDecays(channels=["K_mu"]).components_used] == ["K_mu"]
    with pytest.raises(GlobalfitError, match="Unknown channel"):
        MesonDecays(channels=["pi_tau"])
    with pytest.raises(GlobalfitError, match="Unknown option"):
        MesonDecays(chanels=["pi_e"])
    with pytest.raises(GlobalfitError, match="no channel"):
        TauDecays(exclude=["tau_e", "tau_mu"])


def test_pion_branching_ratio_by_hand(liks):
    # BR(pi -> e nu phi)/|lambda|^2 at m_phi -> 0 against G_F^2 Vud^2 f^2 m^3/(768 pi^3) tau/hbar
    # typed by hand (validate.pi_e_by_hand; I = 1/3): 1%
    br = float(liks["meson_decays"].br_phi(point(1e-6, lambda_ee=1.0))["pi_e"])
    assert br == pytest.approx(pi_e_by_hand(), rel=0.01)
    assert br == pytest.approx(9.87e-3, rel=0.01)  # the same, as a number: 0.987% per |lambda|^2


def test_upper_limit_convention():
    # a 90% CL limit is the 0.90 quantile of a half-normal: sigma = limit/1.6449, so that
    # -2 ln L at BR_phi = limit is 1.6449^2 = 2.7055
    assert limit_sigma(1.0, 0.90) == pytest.approx(1 / 1.6448536, rel=1e-6)
    lik = MesonDecays(channels=["pi_e"])
    comp = lik.components_used[0]
    assert -2 * float(comp.loglike(5e-6, 0.01)) == pytest.approx(1.6448536**2, rel=1e-6)


def test_sm_point_is_zero_and_coupling_lowers_likelihood(liks):
    for name, lik in liks.items():
        assert float(lik.loglike(point(0.01))) == pytest.approx(0.0, abs=1e-12), name
        assert float(lik.loglike(point(0.01, lambda_ee=2.0))) < 0.0, name


def test_channel_inert_above_its_mass_range(liks):
    lik = MesonDecays(channels=["pi_e"])
    assert float(lik.loglike(point(0.130, lambda_ee=10.0))) < -0.01
    assert float(lik.loglike(point(0.132, lambda_ee=10.0))) == 0.0  # seed range: m_phi < 131 MeV
    assert float(liks["z_invisible"].loglike(point(60.0, lambda_ee=5.0))) == 0.0


def test_flavour_structure():
    # mesons and W: only sum_b |lambda_lb|^2 of the charged lepton's row enters
    mes = MesonDecays(channels=["K_mu"])
    a = float(mes.loglike(point(0.01, lambda_mumu=0.01)))
    b = float(mes.loglike(point(0.01, lambda_emu=0.01)))
    assert a == pytest.approx(b, rel=1e-12) and a < 0
    assert float(mes.loglike(point(0.01, lambda_ee=0.5))) == 0.0
    # Z: 2 Tr(lam^T lam) is flavour-basis invariant: diag(c, -c) rotated by 45 degrees in the
    # e-mu plane is the off-diagonal matrix with entries c, which must give the same width
    z = ZInvisible()
    c = 0.3
    diag = z.br_phi(point(1.0, lambda_ee=c, lambda_mumu=-c))["z_invisible"]
    off = z.br_phi(point(1.0, lambda_emu=c))["z_invisible"]
    assert float(diag) == pytest.approx(float(off), rel=1e-12)
    # tau: emission from the nubar_l leg and from the nu_tau leg add with equal weight
    t = TauDecays(channels=["tau_e"])
    assert float(t.br_phi(point(0.1, lambda_ee=0.2))["tau_e"]) == pytest.approx(
        float(t.br_phi(point(0.1, lambda_tautau=0.2))["tau_e"]), rel=1e-12)


def test_z_width_against_hand_formula():
    # BR_phi = BR(Z -> nu nubar, one flavour) 2 |lambda_ee|^2 J/(64 pi^2), J = -2 ln a - 17/3
    # + O(a ln a): at m_phi = 1 MeV, a = 1.2e-10; Gamma_inv^SM/3/Gamma_Z typed here: 1e-6
    z = ZInvisible()
    a = (1e-3 / 91.1879) ** 2
    hand = 0.50144 / 3 / 2.4955 * 2 * 0.01 * (-2 * math.log(a) - 17 / 3) / (64 * math.pi**2)
    assert float(z.br_phi(point(1e-3, lambda_ee=0.1))["z_invisible"]) == pytest.approx(hand,
                                                                                      rel=1e-6)


def test_jit_vmap_grad_of_run_card():
    fit = globalfit.Fit.from_card(ROOT / "runs" / "leptonic_scalar.toml")
    assert fit.parameters == ["lambda_ee", "lambda_emu", "lambda_mumu"]
    assert sorted(fit.likelihood_names) == sorted(
        ["meson_decays", "tau_decays", "z_invisible", "w_decays", "lhc_ss_dilepton"])
    x = jnp.array([0.01, 0.003, 0.02])
    val, grad = fit.logpost_and_grad(x)
    assert np.isfinite(val) and np.all(np.isfinite(grad)) and np.all(np.asarray(grad) != 0)
    batch = jnp.asarray(np.geomspace(1e-4, 5.0, 24)[:, None] * np.ones(3))
    ll = fit.loglike(batch)
    assert ll.shape == (24,) and np.all(np.isfinite(ll)) and np.all(np.diff(ll) <= 1e-12)


def test_scan_card_and_gradient_in_m_phi():
    fit = globalfit.Fit.from_card(ROOT / "runs" / "leptonic_scalar_scan.toml")
    assert "lhc_ss_dilepton" not in fit.likelihood_names
    f = globalfit.Fit(model="scalar", likelihoods=["meson_decays", "tau_decays", "z_invisible",
                                                   "w_decays"],
                      priors={"lambda_ee": {"prior": "loguniform", "min": 1e-4, "max": 1.0},
                              "m_phi": {"prior": "loguniform", "min": 1e-3, "max": 100.0}})
    g = jax.grad(f.raw_loglike)(jnp.array([0.05, 0.3]))
    assert np.all(np.isfinite(g))


def test_upper_bound_root_finding_on_a_parabola():
    # chi2 = (lambda/0.1)^2: the 95% profile bound is 0.1 sqrt(3.84) exactly
    def chi2(lam, m):
        return (lam / 0.1) ** 2

    assert upper_bound(chi2, 0.1) == pytest.approx(0.1 * math.sqrt(3.84), rel=1e-7)


def test_z_invisible_central_value_option():
    # "measured" (default): BR_inv = 0.20000 +- 0.00055 against BR_SM = 0.50144/Gamma_Z, combined
    # sigma with the SM's (Gamma_inv 4e-5, Gamma_Z 2.3e-3 GeV); z = (data - SM)/sigma = -1.615.
    # Profile Delta chi2 = 3.84 bound on BR_phi: (sqrt(3.84 + z^2) + z) sigma, against
    # sqrt(3.84) sigma with "sm" (the data read as the SM). lambda ~ sqrt(BR_phi), so the ratio of
    # the lambda bounds is sqrt((sqrt(3.84 + z^2) + z)/1.96) = 0.687 at every m_phi (rel 1e-3:
    # Gamma_Z of the PDG tables vs the 2.4955 typed here).
    br_sm = 0.50144 / 2.4955
    sigma = math.hypot(0.00055, br_sm * math.hypot(4e-5 / 0.50144, 0.0023 / 2.4955))
    z = (0.2 - br_sm) / sigma
    hand = math.sqrt((math.sqrt(3.84 + z**2) + z) / math.sqrt(3.84))
    assert z == pytest.approx(-1.615, abs=2e-3) and hand == pytest.approx(0.687, abs=1e-3)
    meas, sm = chi2_function(ZInvisible()), chi2_function(ZInvisible(central_value="sm"))
    for m in (0.01, 5.0):
        assert upper_bound(meas, m) / upper_bound(sm, m) == pytest.approx(hand, rel=1e-3)
    with pytest.raises(GlobalfitError, match="central_value"):
        ZInvisible(central_value="data")
