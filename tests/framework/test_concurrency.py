"""Two processes write one run folder at once: one result, one clear refusal (exit 2), never a
crash or a silently overwritten result; a scan with a repeated value and two worker processes."""

from __future__ import annotations

import json
import subprocess
import sys

from globalfit.run_folder import SUMMARY
from tests.framework.cards import counting_card, tiny_card
from tests.framework.clitools import REPO, write_card


def test_two_writers_one_folder(tmp_path):
    out = tmp_path / "run"
    cards = [write_card(tmp_path / f"c{i}.toml", tiny_card(str(out), seed=i + 1))
             for i in range(2)]
    procs = [subprocess.Popen([sys.executable, "-m", "globalfit.cli", "run", str(c), "--quiet"],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for c in cards]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 2], results
    rc2, err = next(r for r in results if r[0] == 2)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    # the loser either found the folder locked or (if it started late) already finished
    assert "another globalfit run" in lines[0] or "already holds a finished result" in lines[0]
    winner = cards[[rc for rc, _ in results].index(0)]
    seed = int(winner.stem[1:]) + 1
    assert json.loads((out / SUMMARY).read_text())["sampler"]["seed"] == seed


def test_scan_with_a_repeated_value_and_two_jobs(tmp_path):
    # before: both workers wrote the same point through one temporary file name and crashed
    raw = counting_card({"name": "dynesty", "nlive": 50, "seed": 1}, str(tmp_path / "c"))
    out = tmp_path / "scan"
    res = subprocess.run([sys.executable, "-m", "globalfit.cli", "scan",
                          str(write_card(tmp_path / "s.toml", raw)), "--over",
                          "m_zprime=0.1,10,0.1,0.1000000001", "--out", str(out), "--quiet",
                          "--jobs", "2"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr
    import csv

    rows = list(csv.DictReader((out / "scan.csv").open()))
    assert [float(r["m_zprime"]) for r in rows] == [0.1, 10.0]
    assert sorted(p.name for p in (out / "poisson_counting").iterdir()) == ["m_zprime=0.1",
                                                                           "m_zprime=10"]
    assert all(r["converged"] in ("true", "false") for r in rows)
