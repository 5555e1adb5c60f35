"""SIGKILL a run at random moments, resume it, and get exactly the uninterrupted run's result
(same seed): dynesty and NUTS. One kill of dynesty by default; one of NUTS and five trials of
two kills each of both with ``-m slow`` (the figures in docs/reliability.md)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from globalfit.card import RunCard
from globalfit.results import load_samples
from globalfit.run_folder import CHECKPOINT, SUMMARY
from globalfit.runner import run_card
from tests.framework.cards import gaussian_card
from tests.framework.clitools import REPO, write_card

CARDS = {
    # long enough after the first checkpoint to be killed several times (seconds here)
    "dynesty": gaussian_card({"name": "dynesty", "nlive": 150, "seed": 5,
                              "checkpoint_every": 0.2}, "out/unused"),
    "nuts": gaussian_card({"name": "nuts", "chains": 2, "warmup": 100, "samples": 300,
                           "seed": 5, "chunk": 10}, "out/unused"),
}
CKPT = {"dynesty": "dynesty.pkl", "nuts": "nuts.pkl"}


def kill_at_random(card: Path, out: Path, sampler: str, rng: random.Random, resume: bool
                   ) -> str:
    """Start ``globalfit run``; once a checkpoint exists wait 0-1 s and SIGKILL it.
    Returns 'killed' or 'finished' (the run ended before the kill)."""
    args = [sys.executable, "-m", "globalfit.cli", "run", str(card), "--out", str(out),
            "--quiet", *(["--resume"] if resume else [])]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    ckpt = out / CHECKPOINT / CKPT[sampler]
    t0 = time.time()
    start = ckpt.stat().st_mtime if resume and ckpt.exists() else 0.0
    while proc.poll() is None and time.time() - t0 < 300:
        if ckpt.exists() and ckpt.stat().st_mtime > start:
            break
        time.sleep(0.05)
    time.sleep(rng.uniform(0.0, 1.0))
    if proc.poll() is not None:
        assert proc.returncode == 0, proc.stderr.read().decode()
        return "finished"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / SUMMARY).exists()  # a killed run never looks finished
    return "killed"


def kill_and_resume(tmp_path: Path, sampler: str, kills: int, seed: int) -> dict[str, int]:
    """Kill the run ``kills`` times, resume it to the end, compare with an uninterrupted run."""
    raw = json.loads(json.dumps(CARDS[sampler]))
    tmp_path.mkdir(parents=True, exist_ok=True)
    card = write_card(tmp_path / f"{sampler}.toml", raw)
    ref, ref_summary = run_card(RunCard.load(card), out=tmp_path / "reference", progress=False)
    out = tmp_path / "killed"
    rng = random.Random(seed)
    outcome = {"killed": 0, "finished": 0}
    for i in range(kills):
        what = kill_at_random(card, out, sampler, rng, resume=i > 0)
        outcome[what] += 1
        if what == "finished":
            break
    if not (out / SUMMARY).exists():
        res = subprocess.run([sys.executable, "-m", "globalfit.cli", "run", str(card), "--out",
                              str(out), "--resume", "--quiet"], cwd=REPO, capture_output=True,
                             text=True, timeout=600)
        assert res.returncode == 0, res.stderr
    got = json.loads((out / SUMMARY).read_text())
    a, b = load_samples(ref), load_samples(out)
    for name in a:  # bit-identical draws
        np.testing.assert_array_equal(a[name], b[name])
    assert got["evidence"] == ref_summary["evidence"]
    assert got["provenance"]["fingerprint"] == ref_summary["provenance"]["fingerprint"]
    assert got["sampler"]["segments"] == 1 + outcome["killed"]
    assert not (out / CHECKPOINT).exists()
    return outcome


def test_dynesty_kill_and_resume(tmp_path):
    outcome = kill_and_resume(tmp_path, "dynesty", kills=1, seed=1)
    assert outcome["killed"] == 1


@pytest.mark.slow  # three NUTS compilations in three processes: ~50 s on an idle machine
def test_nuts_kill_and_resume(tmp_path):
    outcome = kill_and_resume(tmp_path, "nuts", kills=1, seed=2)
    assert outcome["killed"] + outcome["finished"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["dynesty", "nuts"])
def test_kill_and_resume_many_times(tmp_path, sampler):
    total = {"killed": 0, "finished": 0}
    for trial in range(5):
        o = kill_and_resume(tmp_path / f"t{trial}", sampler, kills=2, seed=100 + trial)
        total = {k: total[k] + o[k] for k in total}
    print(f"\n{sampler}: {total['killed']} kills, every resume identical to the "
          "uninterrupted run")
    assert total["killed"] >= 5


def test_nuts_resumes_inside_warmup(tmp_path, monkeypatch):
    """Interrupted after its second warmup chunk (of three), a NUTS run resumes from that
    checkpoint (not from the start of warmup) and gives the uninterrupted run's draws exactly."""
    from globalfit.samplers import nuts_sampler

    raw = json.loads(json.dumps(CARDS["nuts"]))
    raw["sampler"].update(warmup=30, samples=20)
    ref, _ = run_card(RunCard.from_dict(raw), out=tmp_path / "reference", progress=False)
    save, calls = nuts_sampler._save, []

    def interrupted(path, state, draws, done, warmed):
        save(path, state, draws, done, warmed)
        calls.append(warmed)
        if warmed == 20:
            raise KeyboardInterrupt

    monkeypatch.setattr(nuts_sampler, "_save", interrupted)
    out = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        run_card(RunCard.from_dict(raw), out=out, progress=False)
    assert calls == [0, 10, 20] and not (out / SUMMARY).exists()
    calls.clear()
    run_card(RunCard.from_dict(raw), out=out, resume=True, progress=False)
    assert calls == [30, 30, 30]   # warmup goes on from 20, then two chunks of 10 draws
    a, b = load_samples(ref), load_samples(out)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
