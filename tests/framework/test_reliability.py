"""A result folder never lies (issue #10): each numbered defect of the issue has a test here that
failed before and passes now. Runs use tiny cards (2-D Gaussian, nlive 30) in-process."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from globalfit.card import RunCard
from globalfit.run_folder import (
    CHECKPOINT,
    LOCK,
    RUN_META,
    STAGING,
    SUMMARY,
    Fingerprint,
    RunFolder,
    atomic_write,
    is_finished,
)
from globalfit.runner import run_card
from tests.framework.cards import counting_card, tiny_card
from tests.framework.clitools import assert_one_sentence, main, write_card


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished tiny run; tests copy it before touching it."""
    d = tmp_path_factory.mktemp("finished") / "run"
    run_card(RunCard.from_dict(tiny_card(str(d))), progress=False)
    return d


def copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def snapshot(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in d.iterdir() if p.is_file() and p.name != LOCK}


# -- 1. a checkpoint carries a fingerprint of its run --------------------------------------------
def test_resume_refuses_a_foreign_checkpoint(tmp_path):
    # a checkpoint of a card with eps_ee_*, resumed with a card with eps_mumu_*: before, exit 0
    # and a wrong log Z; now one sentence naming what differs, and no result written
    out = tmp_path / "run"
    card_a = RunCard.from_dict(tiny_card(str(out)))
    from globalfit.fit import Fit

    with RunFolder(out) as f:
        f.begin(Fingerprint.of(Fit.from_card(card_a), card_a))
    (out / CHECKPOINT / "dynesty.pkl").write_bytes(b"state of another run")
    card_b = write_card(tmp_path / "b.toml", tiny_card(str(out), names=("eps_mumu_u",
                                                                         "eps_mumu_d")))
    res = main("run", str(card_b), "--resume", "--quiet")
    assert_one_sentence(res, "belongs to a different run", "eps_ee_u", "--force")
    assert not (out / SUMMARY).exists()
    # an option of a likelihood, or a sampler setting that changes results, differs too
    raw = tiny_card(str(out))
    raw["sampler"]["nlive"] = 31
    assert_one_sentence(main("run", str(write_card(tmp_path / "c.toml", raw)), "--resume"),
                        "sampler.nlive (30 vs 31)")
    # the checkpoint cadence does not change the result: same fingerprint
    raw = tiny_card(str(out), checkpoint_every=5.0)
    fa = Fingerprint.of(Fit.from_card(card_a), card_a)
    cb = RunCard.from_dict(raw)
    assert Fingerprint.of(Fit.from_card(cb), cb).digest == fa.digest


def test_fingerprint_in_summary_and_is_finished(finished):
    s = json.loads((finished / SUMMARY).read_text())
    card = RunCard.from_dict(tiny_card(str(finished)))
    from globalfit.fit import Fit

    fp = Fingerprint.of(Fit.from_card(card), card)
    assert s["provenance"]["fingerprint"] == fp.digest
    assert is_finished(finished, fp) and is_finished(finished)
    other = RunCard.from_dict(tiny_card(str(finished), seed=2))
    assert not is_finished(finished, Fingerprint.of(Fit.from_card(other), other))


def test_code_change_is_a_different_run(tmp_path, monkeypatch):
    # a physics fix in a module, its card unchanged, used to resume the old likelihood's
    # checkpoint with exit 0; the code each run depends on is now in its fingerprint
    import importlib
    import os

    from globalfit.code_version import code_hashes
    from globalfit.run_folder import describe_difference

    pkg = tmp_path / "gfplug"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "lik.py").write_text("from gfplug.physics import SCALE\n\n\ndef f(x):\n"
                                "    return SCALE * x\n")
    physics = pkg / "physics.py"
    physics.write_text('"""Scale."""\nSCALE = 1.0\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()

    def edit(text: str, step: int) -> dict[str, str]:
        physics.write_text(text)
        t = physics.stat().st_mtime_ns + step * 10**9
        os.utime(physics, ns=(t, t))
        return code_hashes(["gfplug.lik"])

    before = code_hashes(["gfplug.lik"])
    # the plug-in's imports are followed, with the combiner's; presentation code is not
    assert {"gfplug.lik", "gfplug.physics", "globalfit.fit", "globalfit.likelihood"} <= set(before)
    assert "globalfit.plots" not in before and "globalfit.cli" not in before
    # docstrings, comments and layout do not change the version ...
    same = edit('"""The scale (a new docstring)."""\n\n# a comment\nSCALE = 1.0  # same\n', 1)
    assert same == before
    # ... a changed number does, and the difference names the module
    changed = edit('"""Scale."""\nSCALE = 1.1\n', 2)
    assert changed["gfplug.physics"] != before["gfplug.physics"]
    assert {k for k in before if changed[k] != before[k]} == {"gfplug.physics"}
    assert describe_difference({"code": before}, {"code": changed}) == (
        "the code of gfplug.physics")
    # a module added to the run, and a result written before results recorded their code
    assert describe_difference({"code": {}}, {"code": {"gfplug.new": "0"}}) == (
        "the code of gfplug.new")
    assert describe_difference({}, {"code": before}) == (
        "the code version (not recorded by the older globalfit)")
    # a likelihood's built-in cards beside its module count as its code (read outside any card)
    assert "likelihoods/decays/inputs.toml" in code_hashes(["likelihoods.decays.mesons"])


def test_summary_says_when_the_code_changed_since(finished, tmp_path):
    # a result read after an upgrade: its numbers came from other code, and summary says so
    run = copy_run(finished, tmp_path / "run")
    res = main("summary", str(run))
    assert res.returncode == 0 and "other code" not in res.stdout
    s = json.loads((run / SUMMARY).read_text())
    s["provenance"]["resolved"]["code"]["globalfit.fit"] = "0" * 16
    (run / SUMMARY).write_text(json.dumps(s))
    res = main("summary", str(run))
    assert res.returncode == 0
    assert ("Computed by other code than this globalfit's: globalfit.fit changed since"
            in " ".join(res.stdout.split()))


def test_compare_says_when_runs_come_from_different_code(finished, tmp_path):
    # two results of one card, one computed by another version of the combiner: compare says
    # so (a disagreement between them is then not a sampler's) and names the module
    from globalfit.compare import compare_runs

    a = copy_run(finished, tmp_path / "a")
    b = copy_run(finished, tmp_path / "b")
    assert compare_runs([a, b])["code_notes"] == []
    s = json.loads((b / SUMMARY).read_text())
    s["provenance"]["resolved"]["code"]["globalfit.fit"] = "0" * 16
    (b / SUMMARY).write_text(json.dumps(s))
    assert compare_runs([a, b])["code_notes"] == [
        f"{a} and {b} were computed by different code (globalfit.fit)",
        f"{b} was computed by other code than this globalfit's (globalfit.fit changed since)"]


def test_resume_refuses_a_checkpoint_of_other_code(tmp_path):
    # the same card, a checkpoint written by a different version of the combiner
    out = tmp_path / "run"
    card = RunCard.from_dict(tiny_card(str(out)))
    from globalfit.fit import Fit

    fp = Fingerprint.of(Fit.from_card(card), card)
    assert "globalfit.fit" in fp.content["code"]
    with RunFolder(out) as f:
        f.begin(fp)
    (out / CHECKPOINT / "dynesty.pkl").write_bytes(b"state of the old code")
    meta = json.loads((out / CHECKPOINT / RUN_META).read_text())
    meta["content"]["code"]["globalfit.fit"] = "0" * 16
    meta["fingerprint"] = "sha256:" + "0" * 64
    (out / CHECKPOINT / RUN_META).write_text(json.dumps(meta))
    res = main("run", str(write_card(tmp_path / "a.toml", tiny_card(str(out)))), "--resume")
    assert_one_sentence(res, "belongs to a different run", "the code of globalfit.fit", "--force")
    assert not (out / SUMMARY).exists()


# -- 2. data releases are verified before use -----------------------------------------------------
def test_corrupted_release_is_refused(tmp_path, monkeypatch, release):
    from globalfit import data

    src = release("lhc/cms_exo19018")
    name = "cms_exo19018_scouting_dimuon_darkphoton_eps_limit.dat"
    mirror = tmp_path / "data"
    (mirror / "lhc").mkdir(parents=True)
    shutil.copy(src / name, mirror / "lhc" / name)
    monkeypatch.setenv(data.ENV, str(mirror))
    good = data.release_path("lhc/cms_exo19018")  # intact copy: accepted
    assert good == mirror / "lhc"
    text = (mirror / "lhc" / name).read_text()
    (mirror / "lhc" / name).write_text(text.replace("0", "x", 1))  # a non-numeric entry
    with pytest.raises(data.DataReleaseCorrupt) as err:
        data.release_path("lhc/cms_exo19018")
    msg = str(err.value)
    want = data.releases()["lhc/cms_exo19018"]["files"][name]
    assert name in msg and want in msg and "sha256:" + data.file_hash(
        mirror / "lhc" / name)[7:] in msg and "fresh copy" in msg
    # `globalfit data status` exits non-zero and names the damaged file
    res = main("data", "status", "lhc/cms_exo19018")
    assert res.returncode == 1 and "hash mismatch" in res.stdout


def test_provenance_records_the_hashes_read(tmp_path, release):
    from globalfit.data import file_hash, releases
    from globalfit.fit import Fit

    folder = release("lhc/cms_exo19018")
    raw = {"model": {"name": "zprime", "charges": "A"},
           "likelihoods": {"use": ["lhc_four_lepton"],
                           "lhc_four_lepton": {"limits": "release"}},
           "parameters": {"g_prime": {"prior": "loguniform", "min": 1e-4, "max": 1e-1},
                          "m_zprime": {"value": 20.0}},
           "sampler": {"name": "dynesty", "nlive": 30}, "output": {"dir": str(tmp_path)}}
    card = RunCard.from_dict(raw)
    fp = Fingerprint.of(Fit.from_card(card), card)
    read = fp.content["data"]["releases"]
    assert "lhc/cms_exo19018" in read
    for f, h in read["lhc/cms_exo19018"].items():
        assert h == file_hash(folder / f) == releases()["lhc/cms_exo19018"]["files"][f]


def test_missing_data_dir_is_named(monkeypatch):
    from globalfit import data

    monkeypatch.setattr(data, "cache_dir", lambda: Path("/nonexistent/cache"))
    monkeypatch.setenv(data.ENV, "/nonexistent/globalfit-data")
    with pytest.raises(data.DataReleaseMissing, match="does not exist"):
        data.release_path("coherent/lar2020")
    monkeypatch.delenv(data.ENV)
    with pytest.raises(data.DataReleaseMissing, match="is not set"):
        data.release_path("coherent/lar2020")


# -- 3. --force replaces a result only with a complete one ----------------------------------------
def test_force_with_a_bad_card_keeps_the_result(tmp_path, finished):
    run = copy_run(finished, tmp_path / "run")
    before = snapshot(run)
    raw = tiny_card(str(run))
    raw["parameters"]["eps_ee_uu"] = raw["parameters"].pop("eps_ee_u")  # a typo
    res = main("run", str(write_card(tmp_path / "typo.toml", raw)), "--force", "--quiet")
    assert_one_sentence(res, "eps_ee_uu", "eps_ee_u")
    assert snapshot(run) == before
    # a forced run that fails half-way (NaN likelihood) leaves the old result too
    raw = tiny_card(str(run))
    raw["likelihoods"]["gaussian"]["cov"] = [[1e-320, 0.0], [0.0, 1e-320]]
    assert_one_sentence(main("run", str(write_card(tmp_path / "nan.toml", raw)), "--force",
                             "--quiet"), "NaN")
    assert snapshot(run) == before
    assert not (run / STAGING).exists()
    # a good forced run replaces it
    raw = tiny_card(str(run), seed=4)
    assert main("run", str(write_card(tmp_path / "ok.toml", raw)), "--force",
                "--quiet").returncode == 0
    assert json.loads((run / SUMMARY).read_text())["sampler"]["seed"] == 4
    assert not (run / STAGING).exists() and not (run / CHECKPOINT).exists()


def test_interrupted_swap_is_completed(tmp_path, finished):
    # killed after the old summary.json went and before the new one came: the next opening of
    # the folder finishes the swap from the complete staged result
    run = copy_run(finished, tmp_path / "run")
    staged = run / STAGING
    staged.mkdir()
    for f in ("posterior.nc", "corner.png"):
        shutil.copy(run / f, staged / f)
    s = json.loads((run / SUMMARY).read_text())
    s["sampler"]["seed"] = 99
    (staged / SUMMARY).write_text(json.dumps(s))
    (run / SUMMARY).unlink()
    assert not is_finished(run)
    with RunFolder(run):
        pass
    assert json.loads((run / SUMMARY).read_text())["sampler"]["seed"] == 99
    assert not staged.exists()


# -- 4. non-finite numbers -----------------------------------------------------------------------
@pytest.mark.parametrize("where", ["fixed", "prior", "option"])
def test_non_finite_numbers_are_refused(tmp_path, where):
    raw = counting_card({"name": "dynesty", "nlive": 30}, str(tmp_path / "o"))
    if where == "fixed":
        raw["parameters"]["m_zprime"] = {"value": float("nan")}
    elif where == "prior":
        raw["parameters"]["g_prime"]["max"] = float("inf")
    else:
        raw["likelihoods"]["poisson_counting"]["background"] = float("-inf")
    res = main("run", str(write_card(tmp_path / "c.toml", raw)), "--quiet")
    assert_one_sentence(res, "finite")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("over", ["m_zprime=nan", "m_zprime=1,inf", "m_zprime=linspace(0,nan,3)"])
def test_non_finite_scan_values_are_refused(tmp_path, over):
    raw = counting_card({"name": "dynesty", "nlive": 30}, str(tmp_path / "o"))
    res = main("scan", str(write_card(tmp_path / "c.toml", raw)), "--over", over,
               "--out", str(tmp_path / "s"), "--quiet")
    assert_one_sentence(res)


# -- 5. one writer per folder, unique temporary files, merged scan values ------------------------
def test_second_writer_is_refused(tmp_path):
    out = tmp_path / "run"
    card = write_card(tmp_path / "c.toml", tiny_card(str(out)))
    hold = threading.Event()
    release_it = threading.Event()

    def holder():
        with RunFolder(out):
            hold.set()
            release_it.wait(60)

    t = threading.Thread(target=holder)
    t.start()
    try:
        assert hold.wait(30)
        assert_one_sentence(main("run", str(card), "--quiet"), "another globalfit run", "--out")
    finally:
        release_it.set()
        t.join()
    assert not (out / SUMMARY).exists()
    assert main("run", str(card), "--quiet").returncode == 0  # the lock is free again


def test_atomic_write_names_are_unique_per_writer(tmp_path):
    seen: list[str] = []
    target = tmp_path / "f.txt"

    def writer(i: int) -> None:
        def w(p: Path) -> None:
            seen.append(p.name)
            p.write_text(str(i))
        atomic_write(target, w)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 8 and target.read_text() in {str(i) for i in range(8)}
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_duplicate_scan_values_are_merged():
    from globalfit.scan import parse_over

    name, values = parse_over("m_zprime=2,1,1,1.0000001,2.0")
    assert name == "m_zprime" and list(values) == [1.0, 2.0]


# -- 6. checkpoints early and often; the wall time of a resumed run is the total ----------------
def test_checkpoint_interval_is_at_most_30_s():
    from globalfit.samplers import settings_schema

    assert settings_schema("dynesty")["checkpoint_every"].default <= 30
    assert settings_schema("nuts")["chunk"].default <= 100


def test_wall_time_counts_every_segment(tmp_path):
    import os
    import time

    from globalfit.fit import Fit

    out = tmp_path / "run"
    card = RunCard.from_dict(tiny_card(str(out)))
    fp = Fingerprint.of(Fit.from_card(card), card)
    with RunFolder(out) as f:
        f.begin(fp)
    meta = json.loads((out / CHECKPOINT / RUN_META).read_text())
    meta["segment_started"] = time.time() - 100.0  # a segment that ran 100 s ...
    meta["elapsed_s"] = 50.0  # ... after 50 s of earlier segments
    (out / CHECKPOINT / RUN_META).write_text(json.dumps(meta))
    ck = out / CHECKPOINT / "dynesty.pkl"
    ck.write_bytes(b"x")
    os.utime(ck, (time.time() - 10.0,) * 2)  # its last checkpoint 90 s into the segment
    with RunFolder(out) as f:
        assert f.begin(fp, resume=True)
        assert f.elapsed_before == pytest.approx(140.0, abs=1.0) and f.segments == 2


# -- 7. bad settings, options and paths: one sentence, exit 2 -------------------------------------
BAD_SAMPLER = [
    ({"nlive": 0}, "at least"), ({"nlive": -5}, "at least"), ({"nlive": "many"}, "whole number"),
    ({"nlive": 50.7}, "whole number"), ({"seed": "x"}, "whole number"),
    ({"bound": "multix"}, "multi"), ({"dlogz": True}, "number"), ({"maxcall": 0}, "at least"),
    ({"name": "nuts", "chains": 0}, "at least"), ({"name": "nuts", "samples": 0}, "at least"),
    ({"name": "nuts", "init": "medain"}, "median"), ({"name": 3}, "string"),
    ({"nlive": 2}, "nlive > ndim + 1"),
]


@pytest.mark.parametrize("settings,words", BAD_SAMPLER)
def test_bad_sampler_settings(tmp_path, settings, words):
    raw = tiny_card(str(tmp_path / "o"))
    raw["sampler"].update(settings)
    if raw["sampler"]["name"] == "nuts":
        for k in ("nlive", "dlogz"):
            raw["sampler"].pop(k)
    res = main("run", str(write_card(tmp_path / "c.toml", raw)), "--quiet")
    assert_one_sentence(res, words)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option,value,words", [
    ("mean", "zero", "must be a list"), ("mean", [0.1, "x"], "mean[1]"),
    ("parameters", [1, 2], "string"), ("cov", 3.0, "must be a list")])
def test_bad_likelihood_option_types(tmp_path, option, value, words):
    raw = tiny_card(str(tmp_path / "o"))
    raw["likelihoods"]["gaussian"][option] = value
    assert_one_sentence(main("run", str(write_card(tmp_path / "c.toml", raw)), "--quiet"),
                        words)


def test_bad_output_paths(tmp_path):
    card = write_card(tmp_path / "c.toml", tiny_card(str(tmp_path / "o")))
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for out, words in [(str(a_file), "is a file"), (str(a_file / "sub"), "is a file"),
                       ("", "empty"), (str(tmp_path / ("x" * 300)), "too long"),
                       ("/proc/globalfit-test", "Cannot write")]:
        assert_one_sentence(main("run", str(card), "--out", out, "--quiet"), words)
    raw = tiny_card("   ")
    assert_one_sentence(main("run", str(write_card(tmp_path / "e.toml", raw))), "non-empty")


def test_damaged_summary(tmp_path, finished):
    run = copy_run(finished, tmp_path / "run")
    (run / SUMMARY).write_text('{"model": ')
    for cmd in (["summary", str(run)], ["compare", str(run)]):
        assert_one_sentence(main(*cmd), "damaged", "--force")
    assert not is_finished(run)


def test_argparse_errors_are_one_line():
    assert_one_sentence(main("run"), "card")
    assert_one_sentence(main("frobnicate"), "frobnicate")


# -- 8. a run stopped short is not converged ------------------------------------------------------
def test_maxcall_is_not_converged(tmp_path):
    raw = tiny_card(str(tmp_path / "o"), maxcall=10)
    res = main("run", str(write_card(tmp_path / "c.toml", raw)), "--quiet")
    assert res.returncode == 0
    s = json.loads((tmp_path / "o" / SUMMARY).read_text())
    assert s["convergence"]["converged"] is False
    assert any("maxcall" in r for r in s["convergence"]["reasons"])
    assert "NOT CONVERGED" in res.stdout and "NOT CONVERGED" in res.stderr
    assert "NOT CONVERGED" in main("summary", str(tmp_path / "o")).stdout
    assert "NOT CONVERGED" in main("compare", str(tmp_path / "o")).stdout


def test_verdict_rules():
    from globalfit.convergence import verdict

    assert verdict({"ess": 2000.0, "stopped_early": None})["converged"]
    v = verdict({"ess": {"a": 900.0, "b": 120.0}, "r_hat": {"a": 1.003, "b": 1.04},
                 "divergences": 3})
    assert not v["converged"] and len(v["reasons"]) == 3
    assert "R-hat of b" in v["reasons"][0] and "ESS of b" in v["reasons"][2]


# -- 9. smaller defects ---------------------------------------------------------------------------
def test_failed_run_leaves_no_empty_folders(tmp_path):
    raw = tiny_card(str(tmp_path / "deep" / "o"))
    raw["likelihoods"]["gaussian"]["cov"] = [[1e-320, 0.0], [0.0, 1e-320]]
    assert_one_sentence(main("run", str(write_card(tmp_path / "c.toml", raw)), "--quiet"), "NaN")
    assert not (tmp_path / "deep").exists()


def test_piped_progress_is_plain_lines(tmp_path, monkeypatch):
    import globalfit.samplers.base as base

    monkeypatch.setattr(base, "PLAIN_PROGRESS_EVERY", 0.0)
    raw = tiny_card(str(tmp_path / "o"))
    res = main("run", str(write_card(tmp_path / "c.toml", raw)))  # stderr is not a terminal
    assert res.returncode == 0
    assert "\r" not in res.stderr
    assert sum(ln.startswith("dynesty: iteration") for ln in res.stderr.splitlines()) >= 2


def test_summary_header_keeps_numbers_whole(finished, monkeypatch):
    import globalfit.cli as cli

    monkeypatch.setenv("COLUMNS", "40")
    from rich.console import Console

    monkeypatch.setattr(cli, "_console", lambda: Console(width=40))
    s = json.loads((finished / SUMMARY).read_text())
    res = main("summary", str(finished))
    logz = f"{s['evidence']['logz']:.4g}"
    assert any(logz in ln for ln in res.stdout.splitlines())


def test_no_nan_in_summary(tmp_path):
    # NaN and infinities (an undefined R-hat, a bound that does not exist) are stored as null
    from globalfit.run_folder import plain

    assert plain({"r_hat": {"x": float("nan")}, "v": [np.inf, 1.0], "n": np.float64(2)}) == {
        "r_hat": {"x": None}, "v": [None, 1.0], "n": 2.0}
