"""UltraNest and nautilus through the sampler registry (optional extra ``[samplers]``): analytic
evidence, agreement with dynesty through ``globalfit compare``, and a clear error without them."""

from __future__ import annotations

import math

import pytest

from globalfit.card import RunCard
from globalfit.compare import compare_runs
from globalfit.errors import GlobalfitError
from globalfit.runner import run_card

#: 2-D Gaussian well inside the uniform box [-1, 1]^2: log Z = -2 ln 2 (analytic)
LOGZ2 = -2 * math.log(2.0)
SETTINGS = {"dynesty": {"nlive": 200},
            "ultranest": {"nlive": 100, "min_ess": 300},
            "nautilus": {"nlive": 300, "n_eff": 2000, "n_networks": 1}}


def card(sampler: str, out: str) -> RunCard:
    return RunCard.from_dict({
        "model": {"name": "nsi"},
        "likelihoods": {"use": ["gaussian"],
                        "gaussian": {"parameters": ["eps_ee_u", "eps_mumu_u"],
                                     "mean": [0.1, -0.2], "cov": [[0.01, 0.004], [0.004, 0.02]]}},
        "parameters": {n: {"prior": "uniform", "min": -1.0, "max": 1.0}
                       for n in ("eps_ee_u", "eps_mumu_u")},
        "sampler": {"name": sampler, "seed": 3, **SETTINGS[sampler]},
        "output": {"dir": out}})


@pytest.mark.slow  # about 1.5 min on 2 loaded cores (nautilus trains its networks)
def test_optional_samplers_agree_with_dynesty(tmp_path):
    pytest.importorskip("ultranest")
    pytest.importorskip("nautilus")
    dirs = []
    for name in SETTINGS:
        d, s = run_card(card(name, str(tmp_path / name)), progress=False)
        dirs.append(d)
        ev = s["evidence"]
        # analytic log Z within 3 of the sampler's own errors (nautilus' importance-sampling
        # error is small: allow 0.05 more for the bias its bounds may carry)
        assert abs(ev["logz"] - LOGZ2) < 3 * ev["logz_err"] + 0.05, (name, ev)
        assert s["sampler"]["name"] == name and s["diagnostics"]["ess"] > 200
        assert s["parameters"]["eps_ee_u"]["mean"] == pytest.approx(0.1, abs=0.02)
        assert not (d / "checkpoint").exists()
    report = compare_runs(dirs)
    assert report["flags"] == []  # every pair of samplers agrees within Monte Carlo errors
    assert {r["sampler"] for r in report["rows"]} == set(SETTINGS)
    assert len(report["bayes_factors"]) == 3


def test_missing_optional_sampler_says_how_to_install(tmp_path, monkeypatch):
    import importlib

    real = importlib.import_module

    def no_ultranest(name, *a, **kw):
        if name == "ultranest":
            raise ImportError(name)
        return real(name, *a, **kw)

    monkeypatch.setattr(importlib, "import_module", no_ultranest)
    with pytest.raises(GlobalfitError, match=r"globalfit\[samplers\]"):
        run_card(card("ultranest", str(tmp_path / "u")), progress=False)


def test_settings_of_optional_samplers_are_checked():
    with pytest.raises(GlobalfitError, match="n_eff"):
        RunCard.from_dict({"model": {"name": "nsi"},
                           "sampler": {"name": "nautilus", "n_ef": 100}})
    with pytest.raises(GlobalfitError, match="nlive"):
        RunCard.from_dict({"model": {"name": "nsi"},
                           "sampler": {"name": "ultranest", "nlive": 0}})
