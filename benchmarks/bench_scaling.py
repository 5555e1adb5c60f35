"""Scaling out on Dask (globalfit/executors.py, docs/scaling.md).

    python benchmarks/bench_scaling.py speedup  [--points 16] [--nlive 400]
    python benchmarks/bench_scaling.py overhead [--points 16]
    python benchmarks/bench_scaling.py cards    [--cards zprime_A_figure,...] [--nlive 50]

``speedup``: a profile-plus-sampling scan (Poisson counting card, one dynesty run and one
profile bound per point) serial in this process vs two local Dask workers (``--jobs 2``), each
from a cold start (the serial run compiles once, each worker once), with the load average of the
machine before and after (the machine may be shared: the ratio is only as good as the idle
cores).

``overhead``: the same scan profile-only (each task well under a second) on the old home-made
process pool (``concurrent.futures``, spawned processes; the executor this issue replaced,
kept here as the baseline) and on a Dask LocalCluster of as many workers; per-task overhead =
(Dask wall - pool wall) / tasks. Then the round trip of no-op tasks on both, warm.

``cards``: the cost of one run of each card in runs/: set-up and compilation (the first batched
call, and the first short sampler run's excess over the second), one profile-likelihood bound
per free physics parameter, and short dynesty runs with n, n and 2n live points (dlogz 1) whose
difference gives the cost per live point (dynesty's iterations grow linearly with the live
points; result files and plots do not): one run = set-up + profile + t(2n) + (t(2n) - t(n)) / n
x (nlive_card - 2n), an estimate (say so when quoting it). Times are CPU seconds of this
process (``clock``). Data cards need their releases (GLOBALFIT_DATA_DIR).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


class OldProcessPool:
    """The executor globalfit had before Dask (baseline only): a spawned process pool per map."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def map(self, fn, items):
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx) as pool:
            futures = {pool.submit(fn, item): item for item in items}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()


def load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def counting_scan_card(tmp: Path, nlive: int) -> Path:
    from tests.framework.cards import counting_card
    from tests.framework.clitools import write_card

    raw = counting_card({"name": "dynesty", "nlive": nlive, "seed": 1}, str(tmp / "unused"))
    return write_card(tmp / "scan.toml", raw)


def timed_scan(card: Path, over: str, out: Path, executor, profile_only: bool) -> float:
    from globalfit.scan import run_scan

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    run_scan(card, over, out=out, executor=executor, progress=False, profile_only=profile_only)
    return time.perf_counter() - t0


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def speedup(points: int, nlive: int) -> None:
    """Wall times, and CPU seconds (this process; each worker process, read before the cluster
    closes): on a loaded machine the wall ratio says little, the CPU seconds say what two idle
    cores would give: the slowest worker's CPU time plus the client's (which shares the cores)
bounds the parallel wall time from above when nothing else runs."""
    import psutil

    from globalfit.executors import DaskExecutor, SerialExecutor, local_cluster

    class Measured(DaskExecutor):
        cpu: dict[int, float] = {}

        def close(self) -> None:
            for c in psutil.Process().children(recursive=True):
                try:
                    t = c.cpu_times()
                    self.cpu[c.pid] = t.user + t.system
                except psutil.NoSuchProcess:
                    pass
            super().close()

    over = f"m_zprime=logspace(-1,1,{points})"
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        card = counting_scan_card(tmp, nlive)
        print(f"{points}-point profile + dynesty (nlive {nlive}) scan; before: {load()}")
        c0 = cpu_self()
        serial = timed_scan(card, over, tmp / "serial", SerialExecutor(), False)
        c_serial = cpu_self() - c0
        print(f"  serial (in process):          {serial:7.1f} s wall, {c_serial:6.1f} s CPU   "
              f"{load()}")
        ex = Measured(start=lambda: local_cluster(2))
        c0 = cpu_self()
        dask = timed_scan(card, over, tmp / "dask", ex, False)
        c_client = cpu_self() - c0
        workers = sorted(ex.cpu.values(), reverse=True)
        print(f"  Dask LocalCluster, 2 workers: {dask:7.1f} s wall, client {c_client:.1f} s "
              f"CPU, worker processes {', '.join(f'{w:.1f}' for w in workers)} s CPU   {load()}")
        same = (tmp / "serial" / "scan.csv").read_text() == (tmp / "dask" / "scan.csv").read_text()
        print(f"  speed-up (wall) {serial / dask:.2f}x; identical scan.csv: {same}")
        print(f"  on two idle cores (serial CPU / (slowest worker's + client CPU)): "
              f"{c_serial / (workers[0] + c_client):.2f}x")


def _noop(item):
    return item


def overhead(points: int) -> None:
    from globalfit.executors import DaskExecutor, local_cluster

    over = f"m_zprime=logspace(-1,1,{points})"
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        card = counting_scan_card(tmp, 100)
        print(f"{points}-point profile-only scan on 2 workers, cold; before: {load()}")
        pool = timed_scan(card, over, tmp / "pool", OldProcessPool(2), True)
        print(f"  old process pool:        {pool:6.1f} s   {load()}")
        dask = timed_scan(card, over, tmp / "dask",
                          DaskExecutor(start=lambda: local_cluster(2, dashboard=False)), True)
        print(f"  Dask LocalCluster:       {dask:6.1f} s   {load()}")
        print(f"  per-task overhead of Dask vs the pool: {(dask - pool) / points:+.2f} s")
    n = 200
    items = [{"dir": f"noop/{i}"} for i in range(n)]
    pool = OldProcessPool(2)
    with DaskExecutor(start=lambda: local_cluster(2, dashboard=False)) as ex:
        list(ex.map(_noop, items[:4]))  # warm
        t0 = time.perf_counter()
        list(ex.map(_noop, items))
        t_dask = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    list(pool.map(_noop, items))  # the pool spawns its processes at every map: included
    t_pool = (time.perf_counter() - t0) / n
    print(f"  no-op task round trip: Dask (warm) {1e3 * t_dask:.1f} ms, "
          f"process pool (spawn included) {1e3 * t_pool:.1f} ms")


def clock() -> float:
    """CPU seconds of this process (all its threads): on a shared machine the cost a run would
    have on a core of its own, which wall time under load overstates."""
    return time.process_time()


def card_cost(path: Path, nlive_short: int) -> str:
    import numpy as np

    from globalfit.card import RunCard
    from globalfit.fit import Fit, clear_caches
    from globalfit.profile import profile_upper_limit
    from globalfit.runner import run_card

    clear_caches()
    card = RunCard.load(path)
    nlive = int(card.sampler.get("nlive", 500)) if card.sampler["name"] == "dynesty" else 500
    t0 = clock()
    fit = Fit.from_card(card, check_ranges=False)
    u = np.random.default_rng(0).uniform(size=(64, fit.ndim))
    fit.loglike(fit.prior_transform(u))  # set-up and compilation of the batched call
    setup = clock() - t0
    phys = [n for n in fit.parameters if n in fit.model.parameters]
    t0 = clock()
    for n in phys:
        profile_upper_limit(fit, n)
    prof = clock() - t0
    walls = []
    for n in (nlive_short, nlive_short, 2 * nlive_short):  # the first also compiles the sampler
        raw = dict(card.raw)
        raw["sampler"] = {"name": "dynesty", "nlive": n, "dlogz": 1.0, "seed": 1}
        with tempfile.TemporaryDirectory() as d:
            raw["output"] = {"dir": str(Path(d) / "run")}
            short = RunCard.from_dict(raw, card.path)
            t0 = clock()
            run_card(short, progress=False, fit=Fit.from_card(short, check_ranges=False))
            walls.append(clock() - t0)
    first = max(walls[0] - walls[1], 0.0)
    per_live = max(walls[2] - walls[1], 0.0) / nlive_short
    full = setup + first + prof + walls[2] + per_live * (nlive - 2 * nlive_short)
    return (f"| {path.stem} | {fit.ndim} | {setup + first:.1f} | {prof:.1f} | {walls[1]:.1f} | "
            f"{walls[2]:.1f} | {nlive} | {full:.0f} |")


def cards(names: str | None, nlive_short: int) -> None:
    import globalfit  # noqa: F401

    paths = ([ROOT / "runs" / f"{n}.toml" for n in names.split(",")] if names
             else sorted((ROOT / "runs").glob("*.toml")))
    print(f"before: {load()}")
    print("CPU seconds of this process:")
    print(f"| card | ndim | set-up + compile | profile bounds | dynesty nlive {nlive_short} | "
          f"nlive {2 * nlive_short} | card's nlive | one run, estimated |")
    print("|---|---|---|---|---|---|---|---|")
    for p in paths:
        try:
            print(card_cost(p, nlive_short), flush=True)
        except Exception as exc:  # a missing release, a card that cannot run at its value
            print(f"| {p.stem} | not measured: {type(exc).__name__}: "
                  f"{' '.join(str(exc).split())[:120]} |||||||", flush=True)
    print(f"after: {load()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["speedup", "overhead", "cards"])
    ap.add_argument("--points", type=int, default=16)
    ap.add_argument("--nlive", type=int, default=None)
    ap.add_argument("--cards")
    a = ap.parse_args()
    from bench_sampler_path import machine

    print(machine())
    if a.what == "speedup":
        speedup(a.points, a.nlive or 400)
    elif a.what == "overhead":
        overhead(a.points)
    else:
        cards(a.cards, a.nlive or 50)


if __name__ == "__main__":
    main()
