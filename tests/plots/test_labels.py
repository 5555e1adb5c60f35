"""One place for LaTeX labels: every model parameter, shared oscillation parameter and nuisance
has a label that matplotlib's mathtext renders."""

from __future__ import annotations

import pytest
from matplotlib.mathtext import MathTextParser

from globalfit.labels import SHARED, parameter_labels
from globalfit.models import MODELS, get_model
from globalfit.registry import get_likelihood

PARSER = MathTextParser("path")


def renders(label: str) -> bool:
    PARSER.parse(f"${label}$")
    return True


@pytest.mark.parametrize("model", sorted(MODELS))
def test_model_parameters_have_labels(model):
    names = get_model(model).parameter_names
    labels = parameter_labels(names, model)
    for n in names:
        assert get_model(model).spec(n).latex, f"{model}.{n} declares no label"
        assert labels[n] == get_model(model).spec(n).latex and renders(labels[n])


def test_flavour_indices_are_greek():
    labels = parameter_labels(["lambda_emu", "eps_mutau_d"], "scalar")
    assert labels["lambda_emu"] == r"\lambda_{e\mu}"
    assert parameter_labels(["eps_mutau_d"], "nsi")["eps_mutau_d"] == r"\varepsilon^{dV}_{\mu\tau}"


def test_nuisances_and_shared_parameters_render():
    # nuisance names of the built-in likelihoods (building DUNE or T2HK to list them takes tens
    # of seconds; these are their names as of this writing)
    names = [*SHARED, "coherent_csi_2017.alpha", "coherent_csi_2017.beta",
             "coherent_csi_2021.cevns_norm", "coherent_lar_2020.brn_prompt",
             "coherent_lar_2020.steady_state", "dune.nue_app_sig", "dune.numubar_dis_nc_bkg",
             "dune.density", "t2hk.nue_app_bkg", "poisson_counting.beta"]
    names += [f"poisson_counting.{s}"
              for s in get_likelihood("poisson_counting", sigma_b=0.1).nuisance_priors()]
    labels = parameter_labels(names, "nsi")
    assert labels["coherent_csi_2017.alpha"] == r"\alpha^{\mathrm{CsI\,2017}}"
    assert labels["dune.nue_app_sig"] == r"\delta_{\mathrm{nue\_app\_sig}}^{\mathrm{DUNE}}"
    assert labels["dm31"] == SHARED["dm31"]
    for n in names:
        assert renders(labels[n]), n


def test_unknown_names_fall_back_to_roman():
    assert parameter_labels(["my_param"])["my_param"] == r"\mathrm{my\_param}"
