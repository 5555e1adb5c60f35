"""Scans on Dask (globalfit/executors.py, docs/scaling.md): serial, a LocalCluster whose worker is
killed in the middle of a run, and a real scheduler with two workers started as subprocesses
give one identical scan.csv (and combine one combinations.csv); failed tasks are listed and the
finished ones kept; the SLURM job script of the documented dask-jobqueue configuration. Every
cluster is torn down in a finally block and no process is left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from globalfit.errors import GlobalfitError
from globalfit.executors import (
    DaskExecutor,
    TasksFailed,
    get_executor,
    seed_task,
    task_key,
    task_seed,
)
from globalfit.run_folder import CHECKPOINT, LOCK
from globalfit.scan import _run_point, run_scan
from tests.framework.cards import counting_card
from tests.framework.clitools import REPO, assert_one_sentence, write_card
from tests.framework.clitools import main as cli

pytest.importorskip("distributed")

#: one combination at two masses; a dynesty run of a few seconds that checkpoints every 0.2 s
#: (long enough to be killed after its first checkpoint)
OVER = "m_zprime=1,2"
DASK = str(Path(sys.executable).parent / "dask")


def scan_card(tmp: Path) -> Path:
    raw = counting_card({"name": "dynesty", "nlive": 200, "seed": 7, "checkpoint_every": 0.2},
                        str(tmp / "unused"))
    return write_card(tmp / "scan.toml", raw)


@pytest.fixture(scope="module")
def serial_scan(tmp_path_factory) -> tuple[Path, str]:
    """The card and the scan.csv of the serial scan (in this process)."""
    tmp = tmp_path_factory.mktemp("serial")
    card = scan_card(tmp)
    base = run_scan(card, OVER, out=tmp / "scan", progress=False)
    return card, (base / "scan.csv").read_text()


def no_children_left(timeout: float = 30.0) -> list:
    """Child processes of this test process still alive after ``timeout`` seconds (but
    multiprocessing's resource tracker, which lives as long as this process)."""
    import psutil

    def ours(p: psutil.Process) -> bool:
        try:
            return (p.status() != psutil.STATUS_ZOMBIE
                    and "resource_tracker" not in " ".join(p.cmdline()))
        except psutil.NoSuchProcess:
            return False

    t0 = time.time()
    while True:
        alive = [p for p in psutil.Process().children(recursive=True) if ours(p)]
        if not alive or time.time() - t0 > timeout:
            return alive
        time.sleep(0.2)


# -- seeds -------------------------------------------------------------------------------------
def test_task_seeds_depend_on_card_seed_and_task_only():
    import hashlib

    want = int.from_bytes(hashlib.sha256(b"7/one/m_zprime=20").digest()[:4], "big")
    assert task_seed(7, "one/m_zprime=20") == want
    assert len({task_seed(7, f"one/m_zprime={m}") for m in range(100)}) == 100
    assert task_seed(8, "one/m_zprime=20") != want
    raw = {"sampler": {"name": "nuts"}}  # no seed: the sampler's default (1)
    seed_task(raw, "a")
    assert raw["sampler"]["seed"] == task_seed(1, "a") < 2**32


# -- choosing the executor ---------------------------------------------------------------------
@pytest.mark.parametrize("args,words", [
    (["--workers", "4"], "--cluster"),
    (["--scheduler", "tcp://127.0.0.1:1", "--jobs", "2"], "--jobs"),
    (["--scheduler", "tcp://127.0.0.1:1", "--cluster", "slurm", "--workers", "2"], "either"),
    (["--cluster", "slurm"], "--workers"),
    (["--jobs", "0"], "at least 1"),
])
def test_contradictory_execution_options_are_one_sentence(tmp_path, args, words):
    card = scan_card(tmp_path)
    assert_one_sentence(cli("scan", str(card), "--over", OVER, "--quiet", *args), words)


def test_unreachable_scheduler_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr("globalfit.executors.CONNECT_TIMEOUT", 2)
    card = scan_card(tmp_path)
    res = cli("scan", str(card), "--over", OVER, "--quiet", "--profile-only",
              "--scheduler", "tcp://127.0.0.1:9")
    assert_one_sentence(res, "Cannot reach the Dask scheduler", "dask scheduler")


def test_serial_is_in_process():
    assert type(get_executor(1)).__name__ == "SerialExecutor"
    assert isinstance(get_executor(2), DaskExecutor)


# -- failures ----------------------------------------------------------------------------------
def test_failed_task_listed_and_finished_ones_kept(tmp_path):
    """A point whose folder another writer holds fails with the lock's sentence; the other
    point is finished and tabulated, the command exits 2, and a rerun finishes the job."""
    from filelock import FileLock

    card = scan_card(tmp_path)
    out = tmp_path / "scan"
    held = out / "poisson_counting" / "m_zprime=2"
    held.mkdir(parents=True)
    with FileLock(str(held / LOCK)):
        res = cli("scan", str(card), "--over", OVER, "--out", str(out), "--quiet",
                  "--profile-only")
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert lines[0] == ("globalfit: error: 1 of 2 tasks failed; the finished ones are kept and "
                        "the same command reruns only the others:")
    assert len(lines) == 2 and str(held) in lines[1] and "another globalfit run" in lines[1]
    rows = (out / "scan.csv").read_text().splitlines()
    assert rows[1].split(",")[4] == "1.92" and rows[2].split(",")[4] == ""  # profile bound
    with pytest.raises(TasksFailed) as err, FileLock(str(held / LOCK)):
        run_scan(card, OVER, out=out, progress=False, profile_only=True)
    assert err.value.total == 2 and len(err.value.failures) == 1  # the finished one is skipped
    res = cli("scan", str(card), "--over", OVER, "--out", str(out), "--quiet", "--profile-only")
    assert res.returncode == 0, res.stderr
    assert (out / "scan.csv").read_text().splitlines()[2].split(",")[4] == "1.92"


# -- a LocalCluster that loses a worker --------------------------------------------------------
def kill_worker_after_checkpoint(ex: DaskExecutor, base: Path, killed: list, stop: threading.Event
                                 ) -> None:
    """Once a point of the scan has a checkpoint, SIGKILL the worker process running it."""
    while not stop.is_set() and not killed:
        client = ex.client
        ckpts = sorted(base.glob(f"*/*/{CHECKPOINT}/dynesty.pkl"))
        if client is None or not ckpts:
            time.sleep(0.05)
            continue
        point = ckpts[0].parent.parent
        key = task_key(_run_point, {"dir": str(point)})
        where = [w for w, keys in client.processing().items() if key in keys]
        if not where:
            time.sleep(0.05)
            continue
        pid = client.run(os.getpid, workers=where)[where[0]]
        os.kill(pid, signal.SIGKILL)
        killed.append(point)


@pytest.mark.timeout(600)
def test_worker_killed_mid_scan_resumes_and_matches_serial(tmp_path, serial_scan):
    card, want = serial_scan
    base = tmp_path / "scan"
    ex = get_executor(2, quiet=True, dashboard=False)
    killed: list[Path] = []
    stop = threading.Event()
    killer = threading.Thread(target=kill_worker_after_checkpoint,
                              args=(ex, base, killed, stop), daemon=True)
    killer.start()
    try:
        run_scan(card, OVER, out=base, executor=ex, progress=False)
    finally:
        stop.set()
        killer.join(timeout=30)
        ex.close()
    assert (base / "scan.csv").read_text() == want
    assert len(killed) == 1
    # the killed run resumed its checkpoint on a new worker: a second segment
    summary = json.loads((killed[0] / "summary.json").read_text())
    assert summary["sampler"]["segments"] == 2
    assert not no_children_left()


# -- a scheduler and two workers started as a user would ---------------------------------------
def start(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("wb") as f:
        return subprocess.Popen(args, cwd=REPO, stdout=f, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)


def stop_all(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each process group (the worker's nanny takes its worker down), SIGKILL after
    30 s."""
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@pytest.fixture
def scheduler_address(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes (one thread each); torn down after."""
    from distributed import Client

    sched = tmp_path / "scheduler.json"
    procs: list[subprocess.Popen] = []
    try:
        procs.append(start([DASK, "scheduler", "--scheduler-file", str(sched), "--port", "0",
                            "--no-dashboard"], tmp_path / "scheduler.log"))
        for i in range(2):
            procs.append(start([DASK, "worker", "--scheduler-file", str(sched), "--nthreads",
                                "1", "--no-dashboard", "--name", f"w{i}"],
                               tmp_path / f"worker{i}.log"))
        t0 = time.time()
        while not sched.exists():
            assert time.time() - t0 < 120, (tmp_path / "scheduler.log").read_text()
            assert procs[0].poll() is None, (tmp_path / "scheduler.log").read_text()
            time.sleep(0.1)
        with Client(scheduler_file=str(sched), timeout=60) as c:
            c.wait_for_workers(2, timeout=120)
            address = c.scheduler.address
        yield address
    finally:
        stop_all(procs)


@pytest.mark.timeout(600)
def test_external_scheduler_scan_matches_serial(tmp_path, serial_scan, scheduler_address):
    card, want = serial_scan
    out = tmp_path / "scan"
    res = cli("scan", str(card), "--over", OVER, "--out", str(out), "--scheduler",
              scheduler_address)
    assert res.returncode == 0, res.stderr
    assert f"scheduler {scheduler_address}, 2 workers now" in res.stderr
    assert (out / "scan.csv").read_text() == want
    # every point was run once, by a worker: one segment each, and rerunning starts nothing
    assert (out / "poisson_counting" / "m_zprime=1" / "summary.json").is_file()
    res = cli("scan", str(card), "--over", OVER, "--out", str(out), "--scheduler",
              "tcp://127.0.0.1:9", "--quiet")
    assert res.returncode == 0, res.stderr  # all finished: no scheduler needed
    # globalfit combine on the same workers: the serial table
    from tests.framework.test_combinations import gauss2

    raw = gauss2("unused", nlive=60)
    comb_card = write_card(tmp_path / "combine.toml", raw)
    tables = {}
    for how in ("serial", "remote"):
        args = ["--scheduler", scheduler_address] if how == "remote" else []
        res = cli("combine", str(comb_card), "--out", str(tmp_path / how), "--only", "a,ab",
                  "--quiet", *args)
        assert res.returncode == 0, res.stderr
        tables[how] = (tmp_path / how / "combinations.csv").read_text()
    assert tables["serial"] == tables["remote"]


def test_processes_torn_down():
    """After the cluster tests no worker or scheduler process is left behind."""
    assert not no_children_left(timeout=5)


# -- batch systems -----------------------------------------------------------------------------
def test_slurm_job_script_from_documented_config():
    """The example ~/.config/dask/jobqueue.yaml of docs/scaling.md gives a SLURM job of 32
    single-threaded workers on 32 cores (nothing is submitted)."""
    pytest.importorskip("dask_jobqueue")
    import dask
    import yaml

    from globalfit.executors import batch_cluster

    slurm = yaml.safe_load((REPO / "docs" / "examples" / "jobqueue.yaml").read_text())[
        "jobqueue"]["slurm"]
    slurm["scheduler-options"] = {"dashboard_address": None}  # no port taken in tests
    # as dask merges the file into its defaults
    with dask.config.set({f"jobqueue.slurm.{k}": v for k, v in slurm.items()}):
        cluster = batch_cluster("slurm", 0)
        try:
            script = cluster.job_script()
        finally:
            cluster.close()
    for line in ("#SBATCH -p normal", "#SBATCH --cpus-per-task=32", "#SBATCH -t 12:00:00",
                 "source $HOME/globalfit/.venv/bin/activate"):
        assert line in script, script
    worker = next(ln for ln in script.splitlines() if "dask_worker" in ln)
    assert "--nthreads 1" in worker and "--nworkers 32" in worker and "--lifetime 11h50m" in worker


def test_batch_cluster_without_cores_is_one_sentence():
    pytest.importorskip("dask_jobqueue")
    import dask

    from globalfit.executors import batch_cluster

    with dask.config.set({"jobqueue.pbs.cores": None, "jobqueue.pbs.memory": None}):
        with pytest.raises(GlobalfitError, match="jobqueue.pbs section"):
            batch_cluster("pbs", 0)


def test_batch_cluster_without_submit_command_is_one_sentence():
    pytest.importorskip("dask_jobqueue")
    import shutil

    if shutil.which("sbatch"):
        pytest.skip("sbatch is installed here: the test would submit jobs")
    assert_one_sentence(cli("scan", "no/such/card.toml", "--cluster", "slurm", "--workers", "2",
                            "--quiet"), "sbatch", "login node")
