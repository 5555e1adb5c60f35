"""Checkpoint overhead as a fraction of a run (docs/reliability.md).

Runs a card in-process with every checkpoint write timed (dynesty's ``save_sampler``, the NUTS
sampler's ``_save``), at the default cadence and at an aggressive one, and prints the time spent
writing checkpoints as a fraction of the run's wall time. Same process, same card: the fraction
does not depend much on how loaded the machine is.

    python benchmarks/bench_checkpoint.py [CARD ...]     # default: runs/gaussian_5d.toml
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import globalfit  # noqa: F401
from globalfit.card import RunCard
from globalfit.runner import run_card

REPO = Path(__file__).resolve().parents[1]


class Timed:
    """Wraps a function and adds up its calls and time."""

    def __init__(self, owner, name):
        self.owner, self.name, self.orig = owner, name, getattr(owner, name)
        self.calls, self.seconds = 0, 0.0

    def __enter__(self):
        def wrapped(*a, **k):
            t = time.perf_counter()
            try:
                return self.orig(*a, **k)
            finally:
                self.seconds += time.perf_counter() - t
                self.calls += 1
        setattr(self.owner, self.name, wrapped)
        return self

    def __exit__(self, *exc):
        setattr(self.owner, self.name, self.orig)


def measure(raw: dict, label: str) -> None:
    import dynesty.dynamicsampler
    import dynesty.sampler

    from globalfit.samplers import nuts_sampler

    with tempfile.TemporaryDirectory() as tmp, \
            Timed(dynesty.sampler, "save_sampler") as ds, \
            Timed(dynesty.dynamicsampler, "save_sampler") as dd, \
            Timed(nuts_sampler, "_save") as ns:
        t0 = time.perf_counter()
        _, summary = run_card(RunCard.from_dict(raw), out=Path(tmp) / "run", progress=False)
        wall = time.perf_counter() - t0
    calls = ds.calls + dd.calls + ns.calls
    secs = ds.seconds + dd.seconds + ns.seconds
    sampling = summary["sampler"]["wall_time_s"]
    print(f"| {label} | {sampling:.1f} s | {calls} | {1e3 * secs / max(calls, 1):.1f} ms | "
          f"{100 * secs / sampling:.2f}% | {wall:.1f} s |")


def main(cards: list[str]) -> None:
    print("| run | sampling time | checkpoints | per checkpoint | overhead (of sampling) "
          "| whole command |")
    print("|---|---|---|---|---|---|")
    for path in cards:
        card = RunCard.load(path)
        for every in (30.0, 1.0):
            raw = dict(card.raw)
            raw["sampler"] = {**card.sampler, "checkpoint_every": every}
            measure(raw, f"{Path(path).name}, dynesty, checkpoint_every = {every:g} s")
    raw = dict(RunCard.load(REPO / "runs" / "gaussian_5d.toml").raw)
    for chunk in (100, 10):
        raw["sampler"] = {"name": "nuts", "chains": 2, "warmup": 300, "samples": 600,
                          "seed": 1, "chunk": chunk}
        measure(raw, f"gaussian_5d.toml, NUTS 2 x 600, chunk = {chunk}")


if __name__ == "__main__":
    main(sys.argv[1:] or [str(REPO / "runs" / "gaussian_5d.toml")])
