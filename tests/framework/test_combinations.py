"""Combinations of likelihoods: groups in a card, lattices, ``globalfit combine`` with its table,
reweighting and SM nulls, and scans over every combination (architecture.md, "Combinations")."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import tomli_w

from globalfit import combinations as comb
from globalfit.card import RunCard
from globalfit.combine import run_combine
from globalfit.errors import GlobalfitError
from globalfit.scan import run_scan

USE = ["coherent_csi_2021", "coherent_lar_2020", "osc_global_2018", "dune", "t2hk"]
NAMES = ["eps_ee_u", "eps_mumu_u"]
A = {"mean": [0.10, -0.05], "cov": [[0.010, 0.003], [0.003, 0.020]]}
B = {"mean": [0.25, 0.10], "cov": [[0.020, -0.004], [-0.004, 0.015]]}
BOX = 2.0


def gauss2(out: str, nlive: int = 150, **extra) -> dict:
    return {
        "title": "two Gaussian data sets",
        "model": {"name": "nsi"},
        "likelihoods": {"use": ["gaussian", "gaussian_b"],
                        "gaussian": {"parameters": NAMES, **A},
                        "gaussian_b": {"parameters": NAMES, **B}},
        "combinations": {"a": ["gaussian"], "b": ["gaussian_b"], "ab": ["a", "b"]},
        "parameters": {n: {"prior": "uniform", "min": -BOX, "max": BOX} for n in NAMES},
        "sampler": {"name": "dynesty", "nlive": nlive, "seed": 2},
        "output": {"dir": out},
        **extra,
    }


def write(path, raw):
    path.write_text(tomli_w.dumps(raw))
    return path


# -- groups -----------------------------------------------------------------------------------
def test_a_group_may_be_named_like_its_one_likelihood():
    assert comb.resolve({"dune": ["dune"], "f": ["dune", "t2hk"]}, USE)["dune"] == ("dune",)


def test_groups_resolve_in_card_order_through_other_groups():
    g = comb.resolve({"coherent": ["coherent_lar_2020", "coherent_csi_2021"],
                      "current": ["osc_global_2018", "coherent"],
                      "future": ["current", "dune", "t2hk"]}, USE)
    assert g["current"] == ("coherent_csi_2021", "coherent_lar_2020", "osc_global_2018")
    assert g["future"] == tuple(USE)


@pytest.mark.parametrize("groups, words", [
    ({"a": ["coherent_csi_2012"]}, ["coherent_csi_2012", "coherent_csi_2021"]),
    ({"a": ["b"], "b": ["a"]}, ["cycle", "a -> b -> a"]),
    ({"dune": ["dune", "t2hk"]}, ["name of a likelihood"]),
    ({"a": []}, ["non-empty list"]),
    ({"a+b": ["dune"]}, ["letters, digits"]),
    ({"a": "dune"}, ["non-empty list"]),
])
def test_bad_groups_are_one_sentence(groups, words):
    with pytest.raises(GlobalfitError) as err:
        comb.resolve(groups, USE)
    for w in words:
        assert w in str(err.value)


def test_a_card_with_a_bad_group_is_refused_when_read():
    raw = gauss2("out")
    raw["combinations"]["c"] = ["gausian"]
    with pytest.raises(GlobalfitError, match="gaussian"):
        RunCard.from_dict(raw)


def test_lattice_is_every_union_once():
    g = comb.resolve({"coh": ["coherent_csi_2021", "coherent_lar_2020"],
                      "osc": ["osc_global_2018"], "fut": ["dune", "t2hk"],
                      "all_osc": ["osc", "fut"]}, USE)
    lat = comb.lattice(["coh", "osc", "fut"], g, USE)
    assert len(lat) == 7 and lat[-1].name == "coh+osc+fut"
    assert lat[-1].likelihoods == tuple(USE)
    # overlapping groups: osc+all_osc holds what all_osc holds and is dropped
    names = [c.name for c in comb.lattice(["osc", "all_osc"], g, USE)]
    assert names == ["osc", "all_osc"]
    with pytest.raises(GlobalfitError, match="at most 6"):
        comb.lattice(list("abcdefg"), {k: ("dune",) for k in "abcdefg"}, USE)


def test_card_of_a_combination_drops_the_options_and_nuisances_of_the_others():
    raw = {"model": {"name": "nsi"}, "likelihoods": {"use": USE, "dune": {"exposure": 100.0}},
           "parameters": {"eps_ee_u": {"prior": "uniform", "min": -1, "max": 1},
                          "dune.norm_app": {"prior": "normal", "mean": 0, "sd": 0.1},
                          "theta23": {"value": 0.8}, "coherent_csi_2021.x": {"value": 0}},
           "combinations": {"coh": ["coherent_csi_2021"]}}
    declared = {"dune": {"dune.norm_app", "theta23"}, "coherent_csi_2021": {"coherent_csi_2021.x"}}
    card = comb.card_for(raw, comb.Combination("coh", ("coherent_csi_2021",)), declared,
                         ["eps_ee_u"])
    assert card["likelihoods"] == {"use": ["coherent_csi_2021"]}
    assert set(card["parameters"]) == {"eps_ee_u", "coherent_csi_2021.x"}
    assert "combinations" not in card and card["title"] == "coh"


def test_the_current_data_combination_of_the_zprime_figure_card_holds_no_projection():
    """The seed's Z' figure: the current-data combination is a measurement, every group with a
    projection (DUNE + T2HK, HL-LHC) is labelled one."""
    from pathlib import Path

    from globalfit.combine import plan

    root = Path(__file__).resolve().parents[2]
    card = RunCard.load(root / "runs" / "zprime_A_figure.toml")
    runs, probe = plan(card, Path("unused"))
    by_name = {p.combo.name: p for p in runs}
    projections = {lik.name for lik in probe.likelihoods if lik.is_projection()}
    assert {"dune", "t2hk", "hl_lhc_dilepton"} <= projections
    current = by_name["current"]
    assert not current.projection
    assert not set(current.combo.likelihoods) & projections
    for p in runs:
        assert p.projection == bool(set(p.combo.likelihoods) & projections)
    assert by_name["dune_t2hk"].projection and by_name["hl_lhc"].projection


# -- combine ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def combined(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("combine")
    card = write(tmp / "g2.toml", gauss2(str(tmp / "g2"), nlive=300))
    base, table = run_combine(card, out=tmp / "comb", progress=False)
    return card, base, table


def test_combine_writes_the_table_and_figures(combined):
    card, base, table = combined
    rows = {r["combination"]: r for r in table["rows"]}
    assert list(rows) == ["a", "b", "ab"]
    for name in ("combinations.csv", "combinations.json", "tensions.csv", "corner.png",
                 "information.png"):
        assert (base / name).is_file()
    csv_rows = list(csv.DictReader((base / "combinations.csv").open()))
    assert [r["combination"] for r in csv_rows] == ["a", "b", "ab"]
    # ln Z of a normalised Gaussian in the 4 x 4 box: -ln 16 = -2.773 (4 sigma of the error)
    for n in ("a", "b"):
        assert abs(rows[n]["logZ"] + math.log(16)) < 4 * rows[n]["logZ_err"]
        assert rows[n]["dimensionality"] == pytest.approx(2.0, abs=0.5)
    (t,) = table["tensions"]
    assert (t["a"], t["b"], t["union"]) == ("a", "b", "ab")
    # closed forms (tests/framework/test_information.py): ln S = 0.2815, p = 0.4875
    assert abs(t["logS"] - 0.2815) < 4 * t["logS_err"] + 0.05
    assert abs(t["p"] - 0.4875) < 0.15
    # the union's 95% region sits inside both parts' (more data, tighter)
    lim = {n: rows[n]["limits"]["eps_ee_u"]["hdi95"][0] for n in rows}
    width = {n: b - a for n, (a, b) in lim.items()}
    assert width["ab"] < min(width["a"], width["b"])


def test_combine_rerun_skips_finished_combinations(combined):
    card, base, _ = combined
    stamp = (base / "ab" / "summary.json").stat().st_mtime
    _, table = run_combine(card, out=base, progress=False)
    assert all(r["how"] == "finished before" for r in table["rows"])
    assert (base / "ab" / "summary.json").stat().st_mtime == stamp


def test_combine_says_what_differs_in_a_replaced_result(combined, tmp_path):
    # a folder holding a result of another run (here: other code) is rerun only with --force,
    # and the table says what differed; the others stay finished
    import shutil

    card, base, _ = combined
    out = shutil.copytree(base, tmp_path / "comb")
    summary = json.loads((out / "a" / "summary.json").read_text())
    summary["provenance"]["fingerprint"] = "sha256:" + "0" * 64
    summary["provenance"]["resolved"]["code"]["globalfit.fit"] = "0" * 16
    (out / "a" / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(GlobalfitError, match=r"another run \(the code of globalfit.fit differ"):
        run_combine(card, out=out, only=["a"], progress=False)
    _, table = run_combine(card, out=out, only=["a", "b"], force=True, progress=False)
    how = {r["combination"]: r["how"] for r in table["rows"]}
    assert how == {"a": "full (replaced a result of another run: the code of globalfit.fit)",
                   "b": "finished before"}


def test_reweighting_agrees_with_the_full_run_and_refuses_a_low_ess(combined, tmp_path):
    card, base, table = combined
    full = {r["combination"]: r for r in table["rows"]}["ab"]
    # a and b are the finished runs of the fixture (skipped), a+b is reweighted from one
    _, rw = run_combine(card, out=base, lattice=["a", "b"], reweight=True, progress=False)
    rows = {r["combination"]: r for r in rw["rows"]}
    union = rows["a+b"]
    assert union["how"].startswith("reweighted from ")
    assert union["sampler"] == "reweight"
    # calls: the union costs one likelihood evaluation per dead point of its base
    assert union["likelihood_calls"] < 0.2 * full["likelihood_calls"]
    err = math.hypot(union["logZ_err"], full["logZ_err"])
    assert abs(union["logZ"] - full["logZ"]) < 4 * err
    assert abs(union["information_bits"] - full["information_bits"]) < 4 * math.hypot(
        union["information_bits_err"], full["information_bits_err"]) + 0.1
    # the HDI edges agree within Monte Carlo error (0.2 sd of the union's posterior ~ 0.015)
    a = np.array(union["limits"]["eps_ee_u"]["hdi95"][0])
    b = np.array(full["limits"]["eps_ee_u"]["hdi95"][0])
    assert np.max(np.abs(a - b)) < 0.03
    assert {r["combination"]: r["how"] for r in rw["rows"]}["a"] == "finished before"
    # an unreachable ESS threshold: the union is run in full instead
    _, rw2 = run_combine(card, out=tmp_path / "rw2", only=["a", "ab"], reweight=True,
                         ess_min=10**7, progress=False)
    assert {r["combination"]: r for r in rw2["rows"]}["ab"]["how"] == "full"


def test_sm_null_gives_the_bayes_factor(tmp_path):
    """A combination without nuisances: Z_SM = L(SM) exactly (no run); ln B = ln Z - ln L(0)."""
    card = write(tmp_path / "g.toml", gauss2(str(tmp_path / "g"), nlive=150))
    _, table = run_combine(card, out=tmp_path / "c", only=["a"], null=True, progress=False)
    (row,) = table["rows"]
    prec = np.linalg.inv(A["cov"])
    mu = np.array(A["mean"])
    log_l0 = (-0.5 * mu @ prec @ mu - math.log(2 * math.pi)
              - 0.5 * math.log(np.linalg.det(A["cov"])))
    assert row["lnB_vs_SM"] == pytest.approx(row["logZ"] - log_l0, abs=1e-9)
    assert not (tmp_path / "c" / "a.null").exists()


# -- scans ------------------------------------------------------------------------------------
def counting2(out: str) -> dict:
    """Two Poisson counts in g' (one a second configuration of the same likelihood) and the
    four-lepton searches (1-75 GeV only): a scan of three combinations."""
    return {
        "title": "counting",
        "model": {"name": "zprime"},
        "likelihoods": {
            "use": ["poisson_counting", "count_b", "lhc_four_lepton"],
            "poisson_counting": {"parameter": "g_prime", "observed": 0, "background": 0.0,
                                 "signal": 1.0},
            "count_b": {"likelihood": "poisson_counting", "parameter": "g_prime",
                        "observed": 0, "background": 0.0, "signal": 3.0},
            "lhc_four_lepton": {"out_of_range": "refuse"}},
        "combinations": {"one": ["poisson_counting"], "both": ["one", "count_b"],
                         "with_lhc": ["both", "lhc_four_lepton"]},
        "parameters": {"g_prime": {"prior": "uniform", "min": 0.0, "max": 12.0},
                       "m_zprime": {"value": 20.0}},
        "sampler": {"name": "dynesty", "nlive": 100, "seed": 1},
        "output": {"dir": out},
    }


def test_profile_only_scan_in_long_format(tmp_path):
    card = write(tmp_path / "s.toml", counting2(str(tmp_path / "c")))
    base = run_scan(card, "m_zprime=0.5,20", out=tmp_path / "scan", profile_only=True,
                    progress=False)
    rows = list(csv.DictReader((base / "scan.csv").open()))
    assert [(r["combination"], float(r["m_zprime"])) for r in rows] == [
        ("one", 0.5), ("one", 20.0), ("both", 0.5), ("both", 20.0), ("with_lhc", 0.5),
        ("with_lhc", 20.0)]
    assert set(rows[0]) == {"combination", "projection", "m_zprime", "likelihoods",
                            "g_prime_profile95", "g_prime_upper95", "g_prime_upper95_err",
                            "converged",
                            "convergence_issues"}
    by = {(r["combination"], float(r["m_zprime"])): r for r in rows}
    # Poisson n = b = 0: Delta chi2 = 2 s g' = 3.84 -> g' = 1.92 / s (s = 1; s = 1 + 3 = 4)
    assert float(by["one", 0.5]["g_prime_profile95"]) == pytest.approx(1.92, rel=1e-3)
    assert float(by["both", 20.0]["g_prime_profile95"]) == pytest.approx(0.48, rel=1e-3)
    # the four-lepton searches apply at 20 GeV, not at 0.5 GeV
    assert by["with_lhc", 0.5]["likelihoods"] == "poisson_counting;count_b"
    assert "lhc_four_lepton" in by["with_lhc", 20.0]["likelihoods"]
    assert float(by["with_lhc", 20.0]["g_prime_profile95"]) < 0.48
    assert all(r["g_prime_upper95"] == "" and r["converged"] == "" for r in rows)
    assert (base / "scan.png").is_file()


def test_scan_each_adds_single_likelihoods(tmp_path):
    raw = counting2(str(tmp_path / "c"))
    raw["likelihoods"]["use"] = ["poisson_counting", "count_b"]
    del raw["likelihoods"]["lhc_four_lepton"]
    del raw["combinations"]
    card = write(tmp_path / "s.toml", raw)
    base = run_scan(card, "m_zprime=1", out=tmp_path / "scan", profile_only=True, each=True,
                    progress=False)
    names = [r["combination"] for r in csv.DictReader((base / "scan.csv").open())]
    assert names == ["combined", "poisson_counting", "count_b"]
    prof = json.loads((base / "count_b" / "m_zprime=1" / "profile.json").read_text())
    assert prof["bounds"]["g_prime"] == pytest.approx(1.92 / 3, rel=1e-3)
