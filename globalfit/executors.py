"""Executors run independent tasks, one run folder each (a scan point, a combination), on Dask.

One interface: ``with executor: for item, result in executor.map(fn, items)`` yields each item
with ``fn(item)`` (or a :class:`TaskFailure`) as tasks finish.

- :class:`SerialExecutor` (``--jobs 1``): one after another in this process.
- :class:`DaskExecutor` on ``dask.distributed``: a ``LocalCluster`` of ``--jobs N`` worker
  processes with one thread each (JAX is not fork-safe, and a process per worker keeps its
  compiled likelihoods, :mod:`globalfit.fit`'s per-process caches, warm across tasks); a
  running scheduler (``--scheduler ADDRESS`` or a scheduler file); or a batch-system cluster
  started by ``dask-jobqueue`` from its configuration file (``--cluster slurm --workers N``).

The output folder is the source of truth (docs/scaling.md): a task whose run folder is finished
is skipped, a task whose worker dies is retried by the scheduler (``distributed.scheduler.
allowed-failures``, 3 by default) and resumes its run from the checkpoint, and the run folder's
lock keeps two tasks from writing one folder. A scan point's seed is derived from the card's
seed and the point's identity (:func:`seed_task`); a combination runs with the card's seed.
Neither depends on where or in which order tasks run, so every executor gives the same results.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from globalfit.errors import GlobalfitError

#: batch systems ``--cluster`` starts through dask-jobqueue, by the name of their cluster class
BATCH_SYSTEMS = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster",
                 "lsf": "LSFCluster"}
#: seconds to wait for a running scheduler to answer
CONNECT_TIMEOUT = 30


# -- deterministic seeds ---------------------------------------------------------------------
def task_seed(seed: int, identity: str) -> int:
    """The seed of one task: the first 4 bytes of sha256("<seed>/<identity>"), in [0, 2**32).
    ``identity`` names the task inside its job (``combination/m_zprime=20``), never where it
    runs or where the job writes, so every executor gives every task the same seed."""
    digest = hashlib.sha256(f"{int(seed)}/{identity}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def seed_task(raw: dict[str, Any], identity: str) -> None:
    """Give the run card ``raw`` (a dict, changed in place) its task's seed, derived from the
    card's seed (the sampler's default when the card gives none)."""
    from globalfit.samplers import settings_schema

    sampler = raw.setdefault("sampler", {})
    schema = settings_schema(sampler.get("name", "dynesty"))
    if "seed" in schema:
        sampler["seed"] = task_seed(sampler.get("seed", schema["seed"].default), identity)


# -- failures ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskFailure:
    """A task that did not finish: its run folder and one sentence saying why. ``internal``:
    a bug (not caused by the input), as opposed to a :class:`GlobalfitError`."""

    task: str
    error: str
    internal: bool = False


class TasksFailed(GlobalfitError):
    """Some tasks of a job failed; the finished ones are kept (a rerun skips them)."""

    def __init__(self, failures: list[TaskFailure], total: int) -> None:
        self.failures = list(failures)
        self.total = total
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        head = (f"{len(self.failures)} of {self.total} tasks failed; the finished ones are kept "
                "and the same command reruns only the others:")
        return [head, *(f"  {f.task}: {f.error}" for f in self.failures)]

    @property
    def internal(self) -> bool:
        return any(f.internal for f in self.failures)


def describe_failure(task: str, exc: BaseException) -> TaskFailure:
    """One sentence for an exception a task raised (or the scheduler raised for it)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, GlobalfitError):
        return TaskFailure(task, text)
    if type(exc).__name__ == "KilledWorker":
        return TaskFailure(task, "every worker that ran it died (killed, out of memory or lost "
                                 "on the network) more times than the scheduler allows; see "
                                 "the worker logs.", internal=True)
    return TaskFailure(task, f"internal error: {type(exc).__name__}: {text} (a bug; please "
                             "report it).", internal=True)


def task_name(item: Any) -> str:
    """How a task is named in messages: its run folder."""
    return str(item["dir"]) if isinstance(item, dict) and "dir" in item else repr(item)


def task_key(fn: Callable[..., Any], item: Any) -> str:
    """The Dask key of a task: the function's name and a hash of the run folder (unique per
    job; the prefix groups the tasks on the dashboard)."""
    digest = hashlib.sha256(str(Path(task_name(item)).absolute()).encode()).hexdigest()[:16]
    return f"{fn.__name__.strip('_')}-{digest}"


# -- executors ---------------------------------------------------------------------------------
class Executor(Protocol):
    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: Any) -> None: ...

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]
            ) -> Iterator[tuple[Any, Any]]: ...


class SerialExecutor:
    """Runs tasks one after another in this process (``--jobs 1``)."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def map(self, fn, items):
        for item in items:
            try:
                result = fn(item)
            except Exception as exc:  # listed at the end; KeyboardInterrupt stops the job
                result = describe_failure(task_name(item), exc)
            yield item, result


class DaskExecutor:
    """Runs tasks on a ``dask.distributed`` cluster (module docstring).

    Give one of ``client`` (an existing ``Client``; not closed here), ``start`` (a function
    returning a new cluster, closed with the executor) or ``address`` (a running scheduler's
    address or scheduler file). ``log`` receives one line saying where the tasks run."""

    def __init__(self, client: Any = None, start: Callable[[], Any] | None = None,
                 address: str | None = None, log: Callable[[str], None] | None = None) -> None:
        if sum(x is not None for x in (client, start, address)) != 1:
            raise ValueError("give exactly one of client, start, address")
        self.client = client
        self.cluster: Any = None
        self._start = start
        self._address = address
        self._owned = client is None
        self._log = log

    def __enter__(self) -> DaskExecutor:
        return self  # the cluster starts with the first task (none when all are finished)

    def _connect(self) -> None:
        self._open()
        if self._log:
            self._log(self.describe())

    def _open(self) -> None:
        from distributed import Client

        if self._start is not None:
            self.cluster = self._start()
            try:
                self.client = Client(self.cluster)
            except BaseException:
                self.cluster.close()
                raise
            return
        address = str(self._address)
        kwargs: dict[str, Any] = ({"scheduler_file": address} if Path(address).is_file()
                                  else {"address": address})
        try:
            self.client = Client(timeout=CONNECT_TIMEOUT, **kwargs)
        except (OSError, TimeoutError, ValueError) as exc:
            raise GlobalfitError(
                f"Cannot reach the Dask scheduler {address} ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:200]}); start one with `dask scheduler` and give "
                "the address it prints (tcp://HOST:8786) or its --scheduler-file.") from None

    def describe(self) -> str:
        info = self.client.scheduler_info()
        n = len(info.get("workers", {}))
        where = ("a batch-system cluster" if self.cluster is not None
                 and type(self.cluster).__name__ in BATCH_SYSTEMS.values() else "Dask")
        link = self.client.dashboard_link if _has_dashboard(info) else "none (pip install bokeh)"
        return (f"{where}: scheduler {info.get('address', self._address)}, {n} workers now, "
                f"dashboard {link}")

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the client and the cluster this executor started (not a given client)."""
        if self._owned and self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def map(self, fn, items):
        from distributed import as_completed

        items = list(items)
        if not items:
            return
        if self.client is None:
            self._connect()
        futures = {}
        for item in items:
            fut = self.client.submit(fn, item, key=task_key(fn, item), pure=False)
            futures[fut] = item
        for fut in as_completed(list(futures)):
            item = futures.pop(fut)
            if fut.status == "finished":
                result = fut.result()
            else:
                result = describe_failure(task_name(item), fut.exception())
            fut.release()
            yield item, result


def opened(executor: Any) -> Any:
    """``executor`` as a context manager (an object with only ``map`` is used as it is)."""
    return executor if hasattr(executor, "__enter__") else contextlib.nullcontext(executor)


def _has_dashboard(info: dict[str, Any]) -> bool:
    return "dashboard" in info.get("services", {})


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def local_cluster(jobs: int, dashboard: bool = True) -> Any:
    """A ``LocalCluster`` of ``jobs`` worker processes with one thread each."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                        dashboard_address=":8787" if dashboard else None,
                        silence_logs=logging.ERROR)


def jobqueue_class(system: str, submit: bool = True) -> Any:
    """The dask-jobqueue cluster class of ``system``; with ``submit``, one sentence unless its
    submit command (sbatch, qsub, bsub) is on this machine."""
    try:
        import dask_jobqueue
    except ImportError:
        raise GlobalfitError("--cluster needs dask-jobqueue: pip install -e \".[hpc]\" (or "
                             "pip install dask-jobqueue).") from None
    cls = getattr(dask_jobqueue, BATCH_SYSTEMS[system])
    command = getattr(cls.job_cls, "submit_command", None)
    if submit and command and shutil.which(command) is None:
        raise GlobalfitError(f"--cluster {system} submits its workers with {command}, which is "
                             "not on this machine: run globalfit on the cluster's login node or "
                             "in a batch job (docs/scaling.md).")
    return cls


def batch_cluster(system: str, workers: int) -> Any:
    """A dask-jobqueue cluster of ``system`` (slurm, pbs, sge, lsf) from its configuration
    file (``~/.config/dask/jobqueue.yaml``, docs/scaling.md), asked for ``workers`` workers
    (none: nothing is submitted)."""
    cls = jobqueue_class(system, submit=workers > 0)
    try:
        cluster = cls()
    except ValueError as exc:  # e.g. cores or memory missing from the configuration
        raise GlobalfitError(
            f"Cannot start a {system} cluster from the dask-jobqueue configuration: "
            f"{' '.join(str(exc).split())} (the jobqueue.{system} section of "
            "~/.config/dask/jobqueue.yaml; example in docs/scaling.md).") from None
    if workers:
        cluster.scale(n=workers)
    return cluster


def get_executor(jobs: int = 1, scheduler: str | None = None, cluster: str | None = None,
                 workers: int | None = None, quiet: bool = False, dashboard: bool = True
                 ) -> Executor:
    """The executor of the command-line options ``--jobs``, ``--scheduler``, ``--cluster`` and
    ``--workers`` (one sentence for a contradictory choice); unless ``quiet`` a cluster says on
    stderr where it runs and its dashboard's address."""
    log = None if quiet else _stderr
    if jobs < 1:
        raise GlobalfitError(f"--jobs must be at least 1, got {jobs}.")
    if scheduler and cluster:
        raise GlobalfitError("Give either --scheduler (a running cluster) or --cluster (start "
                             "one), not both.")
    if (scheduler or cluster) and jobs > 1:
        raise GlobalfitError("--jobs starts local workers; with --scheduler or --cluster the "
                             "cluster's workers run the tasks (size it with --workers).")
    if workers is not None and not cluster:
        raise GlobalfitError("--workers sizes a batch-system cluster: give it with --cluster "
                             "slurm|pbs|sge|lsf.")
    if cluster:
        if cluster not in BATCH_SYSTEMS:
            raise GlobalfitError(f"Unknown batch system {cluster!r}; choose one of "
                                 f"{', '.join(BATCH_SYSTEMS)}.")
        if not workers or workers < 1:
            raise GlobalfitError("--cluster needs --workers N (N >= 1): the number of worker "
                                 "processes to ask the batch system for.")
        jobqueue_class(cluster)  # installed, and its submit command here: before any work
        return DaskExecutor(start=lambda: batch_cluster(cluster, workers), log=log)
    if scheduler:
        return DaskExecutor(address=scheduler, log=log)
    if jobs == 1:
        return SerialExecutor()
    return DaskExecutor(start=lambda: local_cluster(jobs, dashboard), log=log)

