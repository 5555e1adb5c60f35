"""The command line: one sentence on stderr and exit status 2 for every bad input, no traceback;
scans tabulate limits and skip finished points (kill and resume: test_kill_resume.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.framework.cards import LOGZ, counting_card, gaussian_card
from tests.framework.clitools import assert_one_sentence
from tests.framework.clitools import subprocess_cli as cli
from tests.framework.clitools import write_card as write


def base_card(tmp: Path) -> dict:
    return gaussian_card({"name": "dynesty", "nlive": 50, "seed": 1}, str(tmp / "out"))


def test_list_json():
    res = cli("list", "--json")
    assert res.returncode == 0
    info = json.loads(res.stdout)
    assert "gaussian" in info["likelihoods"] and set(info["models"]) == {"nsi", "zprime",
                                                                          "scalar"}
    kind = {n: d["kind"] for n, d in info["likelihoods"].items()}
    # the real-data oscillation releases are measurements; DUNE and T2HK projections
    assert kind["superk_atm_2023"] == kind["minos_2017"] == kind["osc_global_2018"] == (
        "measurement")
    assert kind["dune"] == kind["t2hk"] == "projection" and kind["gaussian"] == "test"


def test_unknown_likelihood(tmp_path):
    raw = base_card(tmp_path)
    raw["likelihoods"] = {"use": ["coherent_csi_2071"]}
    assert_one_sentence(cli("run", str(write(tmp_path / "c.toml", raw))),
                        "coherent_csi_2071", "coherent_csi_2017")


def test_unknown_model(tmp_path):
    raw = base_card(tmp_path)
    raw["model"] = {"name": "zprme"}
    assert_one_sentence(cli("run", str(write(tmp_path / "c.toml", raw))), "zprme", "zprime")


def test_unknown_parameter(tmp_path):
    raw = base_card(tmp_path)
    raw["parameters"]["eps_ee_uu"] = {"prior": "uniform", "min": 0, "max": 1}
    assert_one_sentence(cli("run", str(write(tmp_path / "c.toml", raw))), "eps_ee_uu",
                        "eps_ee_u")


def test_prior_min_not_below_max(tmp_path):
    raw = base_card(tmp_path)
    raw["parameters"]["eps_ee_u"] = {"prior": "uniform", "min": 1.0, "max": 1.0}
    assert_one_sentence(cli("run", str(write(tmp_path / "c.toml", raw))), "min < max")


def test_missing_capability(tmp_path):
    raw = base_card(tmp_path)
    raw["model"] = {"name": "nsi"}
    raw["likelihoods"] = {"use": ["lhc_ss_dilepton"]}
    raw["parameters"] = {"eps_ee_u": {"prior": "uniform", "min": -1, "max": 1}}
    from globalfit import list_likelihoods

    if "lhc_ss_dilepton" not in list_likelihoods():
        pytest.skip("lhc_ss_dilepton not installed")
    assert_one_sentence(cli("run", str(write(tmp_path / "c.toml", raw))), "scalar_couplings",
                        "'nsi'")


def test_malformed_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nname = nsi\n")
    assert_one_sentence(cli("run", str(bad)), "not valid TOML")


def test_missing_card():
    assert_one_sentence(cli("run", "no/such/card.toml"), "does not exist")


def test_nan_likelihood_reports_point(tmp_path):
    # the Gaussian with a covariance whose inverse overflows gives NaN at every point
    raw = base_card(tmp_path)
    raw["likelihoods"]["gaussian"]["cov"] = [[1e-320 if i == j else 0.0 for j in range(5)]
                                             for i in range(5)]
    res = cli("run", str(write(tmp_path / "c.toml", raw)))
    assert_one_sentence(res, "NaN", "eps_ee_u=")


def test_summary_of_unfinished_folder(tmp_path):
    assert_one_sentence(cli("summary", str(tmp_path)), "no finished result")


_READABLE = {"model": {"name": "nsi"}, "likelihoods": {}, "sampler": {"name": "dynesty"},
             "parameters": {"eps_ee_u": {"mean": 0.1}}}


@pytest.mark.parametrize("change, problem", [
    ({"model": {}}, "'model' has no name"),
    ({"sampler": "dynesty"}, "'sampler' is not a table"),
    ({"parameters": {"eps_ee_u": 0.1}}, "parameter 'eps_ee_u' is not a table"),
    ({"provenance": ["x"]}, "'provenance' is not a table"),
    ({"provenance": None}, "'provenance' is not a table"),
    ({"likelihoods": None}, "'likelihoods' is not a table"),
])
def test_summary_with_damaged_shape_is_one_sentence(tmp_path, change, problem):
    # a summary.json edited by hand: valid JSON with every key, but a table where none is
    # read; before, `globalfit summary` stopped with "internal error: KeyError: 'name'"
    from globalfit.errors import GlobalfitError
    from globalfit.run_folder import SUMMARY, read_summary

    (tmp_path / SUMMARY).write_text(json.dumps(_READABLE | change))
    with pytest.raises(GlobalfitError, match="is damaged") as info:
        read_summary(tmp_path)
    assert problem in str(info.value)


def test_summary_of_readable_shape_is_read(tmp_path):
    from globalfit.run_folder import SUMMARY, read_summary

    (tmp_path / SUMMARY).write_text(json.dumps(_READABLE))
    assert read_summary(tmp_path)["model"]["name"] == "nsi"


def test_summary_command_on_damaged_shape(tmp_path):
    from globalfit.run_folder import SUMMARY

    (tmp_path / SUMMARY).write_text(json.dumps(_READABLE | {"model": {}}))
    assert_one_sentence(cli("summary", str(tmp_path)), "is damaged", "'model' has no name")


def test_scan_limits_and_rerun_skips(tmp_path):
    raw = counting_card({"name": "dynesty", "nlive": 500, "seed": 1}, str(tmp_path / "c"))
    card = write(tmp_path / "scan.toml", raw)
    out = tmp_path / "scan"
    res = cli("scan", str(card), "--over", "m_zprime=logspace(-1,1,2)", "--out", str(out),
              "--quiet")
    assert res.returncode == 0, res.stderr
    import csv

    rows = list(csv.DictReader((out / "scan.csv").open()))
    assert len(rows) == 2 and (out / "scan.png").exists()
    assert all(r["converged"] == "true" and r["combination"] == "poisson_counting"
               and r["projection"] == "false" for r in rows)
    for r in rows:
        point = out / "poisson_counting" / f"m_zprime={float(r['m_zprime']):.6g}"
        ess = json.loads((point / "summary.json").read_text())["diagnostics"]["ess"]
        # textbook Poisson limits (n = b = 0): Bayesian flat prior -ln 0.05 = 2.996, within
        # three Monte Carlo errors of a 95% quantile, sqrt(0.05 0.95 / ESS) / pdf(q) with
        # pdf(q) = 0.05 (relative 1.45 / sqrt(ESS)); profile Delta chi2 = 2 s x = 3.84 -> 1.92
        # (the crossing is root-found: 0.1%)
        assert float(r["g_prime_upper95"]) == pytest.approx(2.996, rel=3 * 1.45 / ess**0.5)
        # the limit's own claimed Monte Carlo error (globalfit.limit_error) is of that order
        # (within a factor 3 of the iid figure) and covers the textbook value within 4 of it
        err, iid = float(r["g_prime_upper95_err"]), 2.996 * 1.45 / ess**0.5
        assert iid / 3 < err < 3 * iid
        assert abs(float(r["g_prime_upper95"]) - 2.996) < 4 * err
        assert float(r["g_prime_profile95"]) == pytest.approx(1.92, rel=1e-3)
    stamp = (out / "poisson_counting" / "m_zprime=0.1" / "summary.json").stat().st_mtime
    res = cli("scan", str(card), "--over", "m_zprime=logspace(-1,1,2)", "--out", str(out),
              "--quiet")
    assert res.returncode == 0
    assert (out / "poisson_counting" / "m_zprime=0.1" / "summary.json").stat().st_mtime == stamp
    # another card (other sampler settings) is a different result: its points are rerun
    raw["sampler"]["nlive"] = 100
    res = cli("scan", str(write(tmp_path / "scan.toml", raw)), "--over", "m_zprime=0.1",
              "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert ("1 of 1 points hold results of another run and are recomputed (first: "
            "sampler.nlive" in " ".join(res.stdout.split()))
    s = json.loads((out / "poisson_counting" / "m_zprime=0.1" / "summary.json").read_text())
    assert s["sampler"]["settings"]["nlive"] == 100
    # scan.csv reads a point's results only if they are of this run: a point whose rerun
    # failed leaves empty cells, not the limits of an earlier card or code
    from globalfit.scan import PROFILE, write_scan_table

    point = out / "poisson_counting" / "m_zprime=0.1"
    prof = json.loads((point / PROFILE).read_text())["fingerprint"]
    for fps, filled in (((s["provenance"]["fingerprint"], prof), True),
                        (("sha256:another", "sha256:another"), False)):
        pts = [{"combination": "poisson_counting", "projection": False, "value": 0.1,
                "likelihoods": ("poisson_counting",), "dir": str(point),
                "fingerprint": fps[0], "profile_fingerprint": fps[1]}]
        row = next(csv.DictReader((write_scan_table(tmp_path / "t", "m_zprime", pts,
                                                    ["g_prime"]) / "scan.csv").open()))
        cells = (row["g_prime_upper95"], row["g_prime_profile95"], row["converged"])
        assert all(cells) if filled else not any(cells), cells


def test_compare_flags_disagreeing_samplers(tmp_path):
    from globalfit.compare import consistency_flags

    a = {"parameters": {"x": {"mean": 0.0, "sd": 1.0, "upper95": 1.64}},
         "diagnostics": {"ess": 1000.0}}
    b = {"parameters": {"x": {"mean": 0.5, "sd": 1.0, "upper95": 2.1}},
         "diagnostics": {"ess": {"x": 1000.0}}}
    assert consistency_flags(a, b)  # 0.5 sd apart, MC error 0.045 sd
    assert not consistency_flags(a, a)
    assert np.isfinite(LOGZ)
