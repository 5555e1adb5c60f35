"""Measurements and projections: every likelihood says which it is (architecture.md,
"Combinations and scale-out"), so a current-data combination can never hold a projection."""

import pytest

import globalfit
from globalfit.registry import likelihood_class

PROJECTIONS = {"dune", "t2hk", "lhc_ss_dilepton"}
MEASUREMENTS = {"coherent_csi_2017", "meson_decays", "tau_decays", "z_invisible", "w_decays",
                "osc_global_2018", "lhc_four_lepton", "lhc_dilepton_resonance"}


@pytest.mark.parametrize("name", sorted(PROJECTIONS | MEASUREMENTS))
def test_class_flag(name):
    assert likelihood_class(name).describe()["projection"] is (name in PROJECTIONS)


def test_hl_lhc_options_make_the_dilepton_search_a_projection():
    assert not globalfit.get_likelihood("lhc_dilepton_resonance").is_projection()
    hl = globalfit.get_likelihood("lhc_dilepton_resonance", luminosity_fb=3000.0, sqrt_s_TeV=14.0)
    assert hl.is_projection()
    assert globalfit.get_likelihood("lhc_dilepton_resonance", sqrt_s_TeV=14.0).is_projection()
