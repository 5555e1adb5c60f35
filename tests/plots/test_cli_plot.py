"""`globalfit plot` and `globalfit export` on the command line: bad arguments are one sentence and
exit 2 before any work; a run's own corner.png is never overwritten silently."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from globalfit.cli import main

REPO = Path(__file__).resolve().parents[2]


def one_sentence(capsys, *words: str) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_wrong_number_of_labels_in_a_real_shell(nested_run, tmp_path):
    res = subprocess.run([sys.executable, "-m", "globalfit.cli", "plot", str(nested_run),
                          "--labels", "a", "b", "--out", str(tmp_path / "x.png")],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "--labels gives 2 name(s) for 1 run folder(s)" in lines[0]
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("out, words", [
    ("fig.jpeg", ["give a file name ending in .png, .pdf or .svg"]),
    ("/proc/globalfit/fig.png", ["/proc", "not writable"]),
    ("afile/fig.png", ["is a file"]),
    ("", ["empty"]),
])
def test_bad_out_is_refused_before_any_work(nested_run, tmp_path, capsys, monkeypatch, out,
                                            words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    assert main(["plot", str(nested_run), "--out", out]) == 2
    one_sentence(capsys, *words)


def test_unknown_parameter_and_unfinished_folder(nested_run, tmp_path, capsys):
    assert main(["plot", str(nested_run), "--params", "eps_ee_x", "--out",
                 str(tmp_path / "x.png")]) == 2
    one_sentence(capsys, "eps_ee_x", "eps_ee_u")
    assert main(["plot", str(tmp_path), "--out", str(tmp_path / "x.png")]) == 2
    one_sentence(capsys, "no finished result")


def test_default_output_keeps_the_runs_corner(nested_run, tmp_path, capsys, monkeypatch):
    own = (nested_run / "corner.png").read_bytes()
    monkeypatch.chdir(tmp_path)
    assert main(["plot", str(nested_run)]) == 0
    assert capsys.readouterr().out.strip() == "nested_corner.png"
    assert (tmp_path / "nested_corner.png").read_bytes()[:4] == b"\x89PNG"
    assert (nested_run / "corner.png").read_bytes() == own
    # naming the run's own corner.png explicitly replaces it, and says so
    assert main(["plot", str(nested_run), "--out", str(nested_run / "corner.png")]) == 0
    assert "replaced the corner plot the run" in capsys.readouterr().out


def test_overlay_pdf_and_export(nested_run, mcmc_run, tmp_path, capsys):
    out = tmp_path / "sub" / "overlay.pdf"
    assert main(["plot", str(nested_run), str(mcmc_run), "--out", str(out),
                 "--labels", "dynesty", "NUTS"]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"
    capsys.readouterr()
    assert main(["export", str(nested_run), "--to", "anesthetic", "--out",
                 str(tmp_path / "exp")]) == 0
    printed = capsys.readouterr().out
    assert "nested_dead-birth.txt" in printed
    assert f"anesthetic.read_chains('{tmp_path / 'exp' / 'nested'}')" in printed
    assert os.path.isfile(tmp_path / "exp" / "nested.paramnames")
