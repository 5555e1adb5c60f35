"""Export round trips: GetDist and anesthetic read the exported chains back and give the same
means, 95% limits and (anesthetic) evidence as our summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from globalfit.chains import Chains
from globalfit.export import export_run
from globalfit.results import load_summary
from globalfit.samplers.dynesty_sampler import births_from_nlive

getdist = pytest.importorskip("getdist")
anesthetic = pytest.importorskip("anesthetic")


def mc_error(summary: dict, name: str) -> float:
    """Monte Carlo error of a posterior mean, sd / sqrt(ESS)."""
    ess = summary["diagnostics"]["ess"]
    ess = ess[name] if isinstance(ess, dict) else ess
    return summary["parameters"][name]["sd"] / math.sqrt(ess)


def test_getdist_reads_nested_run(nested_run, tmp_path):
    files = export_run(nested_run, "getdist", tmp_path)
    assert [f.name for f in files] == ["nested.txt", "nested.paramnames", "nested.ranges"]
    s = load_summary(nested_run)
    ours = Chains.from_run(nested_run)
    gd = getdist.loadMCSamples(str(tmp_path / "nested"), settings={"ignore_rows": 0})
    assert gd.getParamNames().list() == ours.names
    assert gd.getLatex(ours.names)[0] == [r"\varepsilon^{uV}_{ee}", r"\varepsilon^{uV}_{\mu\mu}"]
    assert gd.ranges.getLower("eps_mumu_u") == 1e-4 and gd.ranges.getUpper("eps_ee_u") == 1.0
    for n in ours.names:
        # the file round trip is exact (12 significant digits) ...
        exact = np.average(ours.column(n), weights=ours.weights)
        assert gd.mean(n) == pytest.approx(exact, rel=1e-9)
        # ... and the weighted dead points agree with the summary of the equally weighted
        # resample within 4 Monte Carlo errors (mean: sd/sqrt(ESS); 95% quantile: 2 sd/sqrt(ESS))
        p = s["parameters"][n]
        assert abs(gd.mean(n) - p["mean"]) < 4 * mc_error(s, n)
        assert abs(gd.confidence(n, 0.05, upper=True) - p["upper95"]) < 8 * mc_error(s, n)


def test_anesthetic_reads_nested_run_and_recomputes_evidence(nested_run, tmp_path):
    files = export_run(nested_run, "anesthetic", tmp_path)
    assert files[0].name == "nested_dead-birth.txt"
    s = load_summary(nested_run)
    ns = anesthetic.read_chains(str(tmp_path / "nested"))
    assert type(ns).__name__ == "NestedSamples"
    # the birth contours are dynesty's own: anesthetic's live-point count is the static run's
    # nlive = 150 until the final live points are added (150, 149, ..., 1)
    nlive = np.asarray(ns.nlive)
    assert (nlive[:-150] == 150).all() and (nlive[-150:] == np.arange(150, 0, -1)).all()
    # log Z from anesthetic's volume estimate vs dynesty's: same dead points, well within 1 sigma
    assert abs(ns.logZ() - s["evidence"]["logz"]) < s["evidence"]["logz_err"]
    for n in ("eps_ee_u", "eps_mumu_u"):
        p = s["parameters"][n]
        assert abs(ns[n].mean() - p["mean"]) < 4 * mc_error(s, n)
        assert abs(ns[n].quantile(0.95) - p["upper95"]) < 8 * mc_error(s, n)
    assert ns.get_label("eps_mumu_u") == r"$\varepsilon^{uV}_{\mu\mu}$"


def test_mcmc_run_exports_per_chain(mcmc_run, tmp_path):
    files = export_run(mcmc_run, "getdist", tmp_path)
    assert [f.name for f in files[:2]] == ["mcmc_1.txt", "mcmc_2.txt"]
    s = load_summary(mcmc_run)
    gd = getdist.loadMCSamples(str(tmp_path / "mcmc"), settings={"ignore_rows": 0})
    assert gd.numrows == 800 and len(gd.chain_offsets) == 3  # two chains
    for n in ("eps_ee_u", "eps_mumu_u"):
        # the same equally weighted draws as the summary: the mean is exact; GetDist's
        # quantile interpolates differently from numpy's (at most one draw's spacing)
        assert gd.mean(n) == pytest.approx(s["parameters"][n]["mean"], rel=1e-9)
        assert gd.confidence(n, 0.05, upper=True) == pytest.approx(
            s["parameters"][n]["upper95"], abs=0.5 * s["parameters"][n]["sd"] / 10)
    # anesthetic reads the same files as MCMC samples (an MCMC run has no birth contours)
    assert [f.name for f in export_run(mcmc_run, "anesthetic", tmp_path)][:2] == [
        "mcmc_1.txt", "mcmc_2.txt"]
    mc = anesthetic.read_chains(str(tmp_path / "mcmc"))
    assert type(mc).__name__ == "MCMCSamples"
    assert mc["eps_ee_u"].mean() == pytest.approx(s["parameters"]["eps_ee_u"]["mean"], rel=1e-9)


def test_csv(nested_run, mcmc_run, tmp_path):
    (f,) = export_run(nested_run, "csv", tmp_path)
    table = np.genfromtxt(f, delimiter=",", names=True)
    assert table.dtype.names == ("weight", "loglike", "logl_birth", "eps_ee_u", "eps_mumu_u")
    ours = Chains.from_run(nested_run)
    np.testing.assert_allclose(table["eps_mumu_u"], ours.column("eps_mumu_u"), rtol=1e-11)
    np.testing.assert_allclose(table["weight"], ours.weights, rtol=1e-11)
    (f,) = export_run(mcmc_run, "csv", tmp_path)
    table = np.genfromtxt(f, delimiter=",", names=True)
    assert table.dtype.names[:3] == ("weight", "loglike", "chain")
    assert sorted(set(table["chain"])) == [0, 1]


def test_births_from_nlive_match_a_dynamic_run():
    """anesthetic's live-point count from the reconstructed births equals dynesty's samples_n
    on a dynamic run, and its log Z equals dynesty's within 1e-3 (same dead points)."""
    import dynesty

    rng = np.random.default_rng(1)
    sampler = dynesty.DynamicNestedSampler(
        lambda x: -0.5 * np.sum((x - 0.5) ** 2) / 0.01, lambda u: u, 2, rstate=rng)
    sampler.run_nested(nlive_init=40, maxbatch=2, print_progress=False)
    res = sampler.results
    births = births_from_nlive(np.asarray(res.samples_n), np.asarray(res.logl))
    ns = anesthetic.NestedSamples(data=res.samples, logL=res.logl, logL_birth=births)
    np.testing.assert_array_equal(np.asarray(ns.nlive), res.samples_n)
    assert ns.logZ() == pytest.approx(res.logz[-1], abs=1e-3)


def test_bad_export_requests(nested_run, tmp_path):
    from globalfit.errors import GlobalfitError

    with pytest.raises(GlobalfitError, match="export format 'getdsit'.*getdist"):
        export_run(nested_run, "getdsit")
    (tmp_path / "file").write_text("")
    with pytest.raises(GlobalfitError, match="is a file"):
        export_run(nested_run, "csv", tmp_path / "file")
    with pytest.raises(GlobalfitError, match="no finished result"):
        export_run(tmp_path, "csv")
