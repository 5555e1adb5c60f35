"""A run folder's life, from lock to finished result (docs/reliability.md).

- **One writer.** :class:`RunFolder` holds an exclusive lock (``filelock``) on the folder for the
  whole run; a second writer gets one sentence and exit status 2.
- **Fingerprinted.** :class:`Fingerprint` hashes everything that defines a result: model and
  options, likelihoods with their resolved options, free/fixed/tied parameters and priors, the
  sampler settings that change results, the hashes of the data cards and release files read,
  and the version of the code that computes it (``globalfit.code_version``: a physics fix in a
  module, its card unchanged, is a different run).
  It is written beside the checkpoint and into ``summary.json`` (``provenance.fingerprint``); a
  checkpoint of another run is refused, naming what differs, and :func:`is_finished` with a
  fingerprint treats a finished result of another run as not this result.
- **Never half-written.** Files are written under a unique temporary name and renamed
  (:func:`atomic_write`); ``summary.json`` is written last and marks a finished result. A forced
  rerun of a finished folder works in ``.staging/`` and replaces the old result only once the new
  one is complete; a swap interrupted by a kill is completed when the folder is next opened.
- **Resume.** ``resume=False`` refuses to discard a checkpoint silently, ``True`` needs one,
  ``"auto"`` continues a matching checkpoint if there is one and starts afresh otherwise (for
  retried distributed tasks). The wall time of a resumed run counts every kept segment.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from globalfit.errors import GlobalfitError

SUMMARY = "summary.json"
LOCK = ".globalfit.lock"
CHECKPOINT = "checkpoint"
STAGING = ".staging"
#: Beside the sampler's checkpoint: fingerprint and elapsed time of the run it belongs to.
RUN_META = "run.json"
#: What a result folder held before results listed their files (summary ``files``).
DEFAULT_FILES = ("posterior.nc", "corner.png", SUMMARY)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary sibling of ``path`` unique to this writer (process,
    thread and a random part), then rename it into place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}-"
                         f"{uuid.uuid4().hex[:8]}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def plain(x: Any) -> Any:
    """JSON-ready copy: tables with string keys, lists, Python scalars; NaN and infinities
    become None (a result never stores a NaN)."""
    if isinstance(x, Mapping):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, str):
        return plain(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


@dataclass(frozen=True)
class Fingerprint:
    """``digest`` (``sha256:...``) of ``content``, the resolved definition of a run."""

    digest: str
    content: dict[str, Any]

    @classmethod
    def of(cls, fit: Any, card: Any) -> Fingerprint:
        from globalfit.code_version import run_code_hashes
        from globalfit.data import file_hash
        from globalfit.samplers import get_sampler, settings_schema
        from globalfit.schema import check_settings, result_settings

        name = card.sampler["name"]
        schema = settings_schema(name)
        given = {k: v for k, v in card.sampler.items() if k != "name"}
        settings = result_settings(schema, check_settings(schema, given, f"sampler {name!r}"))
        releases: dict[str, dict[str, str]] = {}
        for lik in fit.likelihoods:
            releases.update(getattr(lik, "releases_read", {}))
        content = plain({
            "model": {"name": fit.model.name, "options": fit.model.options},
            "likelihoods": {lik.name: ({"likelihood": lik.registered_name} if
                                       lik.registered_name else {}) | dict(lik.config)
                            for lik in fit.likelihoods},
            "parameters": {
                "free": {n: fit.priors[n].to_spec() for n in fit.parameters},
                "order": list(fit.parameters),
                "fixed": dict(fit.fixed),
                "tied": {n: {"same_as": o, "scale": k} for n, (o, k) in fit.tied.items()},
            },
            "sampler": {"name": name, **settings},
            "data": {"cards": {lik.name: file_hash(lik.card_path())
                               for lik in fit.likelihoods if lik.card_file},
                     "releases": releases},
            "code": run_code_hashes(fit, get_sampler(name).__module__),
        })
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return cls("sha256:" + hashlib.sha256(text.encode()).hexdigest(), content)


def describe_difference(old: Any, new: Any, path: str = "", limit: int = 3) -> str:
    """Where two fingerprint contents differ, e.g. ``parameters.free.eps_ee_u (removed)``."""
    found: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(found) >= limit or a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in dict.fromkeys([*a, *b]):
                sub = f"{where}.{k}" if where else str(k)
                if sub == "code" and k not in a:  # written before results recorded their code
                    found.append("the code version (not recorded by the older globalfit)")
                elif sub.startswith("code."):  # a module changed, added or removed
                    if a.get(k) != b.get(k):
                        found.append(f"the code of {sub[5:]}")
                elif k not in b:
                    found.append(f"{sub} (only in the checkpoint)")
                elif k not in a:
                    found.append(f"{sub} (only in this card)")
                else:
                    walk(a[k], b[k], sub)
                if len(found) >= limit:
                    return
            return
        shown = f" ({_short(a)} vs {_short(b)})" if not isinstance(a, dict | list) else ""
        found.append(f"{where or 'the run'}{shown}")

    walk(old, new, path)
    return ", ".join(found) or "nothing visible"


def _short(x: Any) -> str:
    text = json.dumps(x)
    return text if len(text) <= 30 else text[:27] + "..."


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """The ``summary.json`` of a finished result; one sentence if absent or damaged."""
    path = Path(run_dir) / SUMMARY
    if not path.is_file():
        raise GlobalfitError(f"{run_dir} holds no finished result (no {SUMMARY}).")
    try:
        summary = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GlobalfitError(f"{path} is damaged ({type(exc).__name__}); rerun the card with "
                             "--force to replace it.") from None
    problem = _shape_problem(summary)
    if problem:
        raise GlobalfitError(f"{path} is damaged ({problem}); rerun the card with --force to "
                             "replace it.")
    return summary


def _shape_problem(summary: Any) -> str | None:
    """What makes a parsed summary unreadable to the commands that use it (a table where one
    is read, a name where one is printed), or None: a summary edited by hand or cut short
    gets one sentence instead of an internal error in ``summary``, ``compare`` or ``plot``."""
    if not isinstance(summary, dict):
        return "not a table"
    for key in ("model", "likelihoods", "sampler", "parameters"):
        if key not in summary:
            return f"no {key!r}"
        if not isinstance(summary[key], dict):
            return f"{key!r} is not a table"
    for key in ("model", "sampler"):
        if not isinstance(summary[key].get("name"), str):
            return f"{key!r} has no name"
    bad = [n for n, v in summary["parameters"].items() if not isinstance(v, dict)]
    if bad:
        return f"parameter {bad[0]!r} is not a table"
    if "provenance" in summary and not isinstance(summary["provenance"], dict):
        return "'provenance' is not a table"  # always written as one; its readers rely on it
    for key in ("diagnostics", "evidence"):  # None where a sampler has none (NUTS: evidence)
        if summary.get(key) is not None and not isinstance(summary[key], dict):
            return f"{key!r} is not a table"
    return None


def finished_difference(run_dir: str | Path, fp: Fingerprint) -> str | None:
    """For a folder holding a finished result of another run than ``fp``: what differs
    (:func:`describe_difference` of the result's recorded run against ``fp``; "" where it
    records none). None when the folder holds no finished result, or this run's."""
    try:
        summary = read_summary(run_dir)
    except GlobalfitError:
        return None
    provenance = summary.get("provenance", {})
    if provenance.get("fingerprint") == fp.digest:
        return None
    old = provenance.get("resolved")
    return describe_difference(old, fp.content) if old else ""


def is_finished(run_dir: str | Path, fingerprint: Fingerprint | str | None = None) -> bool:
    """Whether ``run_dir`` holds a finished, readable result; with ``fingerprint``, a result of
    exactly that run (a finished folder of another card or setting is not this result)."""
    try:
        summary = read_summary(run_dir)
    except GlobalfitError:
        return False
    if fingerprint is None:
        return True
    want = fingerprint.digest if isinstance(fingerprint, Fingerprint) else fingerprint
    return summary.get("provenance", {}).get("fingerprint") == want


def check_output_path(out: str | Path) -> Path:
    """Refuse, before any work, an output folder that cannot be one: empty, a file, under a
    file, or with a name too long for the filesystem."""
    if not str(out).strip():
        raise GlobalfitError("The output folder name is empty; give --out a folder.")
    path = Path(out).expanduser()
    if "\0" in str(path):
        raise GlobalfitError("The output folder name contains a NUL character.")
    try:
        name_max = os.pathconf("/", "PC_NAME_MAX")
        path_max = os.pathconf("/", "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    if any(len(os.fsencode(p)) > name_max for p in path.parts):
        raise GlobalfitError(f"The output folder name is too long: a part of it exceeds "
                             f"{name_max} bytes.")
    if len(os.fsencode(str(path.absolute()))) + 64 > path_max:
        raise GlobalfitError(f"The output folder path is too long for this filesystem "
                             f"({path_max} bytes).")
    try:
        if path.exists() and not path.is_dir():
            raise GlobalfitError(f"{path} is a file, not a folder; give --out a folder.")
        anc = path
        while not anc.exists() and anc != anc.parent:
            anc = anc.parent
        if anc.exists() and not anc.is_dir():
            raise GlobalfitError(f"Cannot create the output folder {path}: {anc} is a file.")
    except OSError as exc:
        raise GlobalfitError(f"Cannot use the output folder {path}: "
                             f"{exc.strerror or exc}.") from None
    return path


class RunFolder:
    """The life of one run folder (module docstring): ``with RunFolder(path) as f:`` locks it,
    ``f.begin(fingerprint, resume, force)`` gives the folder to sample into, ``f.commit()``
    makes the written result the folder's result."""

    def __init__(self, path: str | Path) -> None:
        self.path = check_output_path(path)
        self.work = self.path
        self.elapsed_before = 0.0
        self.segments = 1
        self._created: list[Path] = []
        self._lock: Any = None
        self._committed = False

    # -- lock ---------------------------------------------------------------------------------
    def __enter__(self) -> RunFolder:
        from filelock import FileLock, Timeout

        missing = []
        p = self.path
        while not p.exists() and p != p.parent:
            missing.append(p)
            p = p.parent
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._created = missing
            self._lock = FileLock(str(self.path / LOCK), timeout=0)
            self._lock.acquire()
        except Timeout:
            raise GlobalfitError(
                f"{self.path} is being written by another globalfit run (it holds "
                f"{self.path / LOCK}); wait for it to finish or write elsewhere with "
                "--out.") from None
        except OSError as exc:
            self._remove_created()
            raise GlobalfitError(f"Cannot write the output folder {self.path}: "
                                 f"{exc.strerror or exc}.") from None
        try:
            self._recover()
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is not None and not self._committed:
                self._clean_failed()
        finally:
            self._lock.release()
            if exc_type is not None and not self._committed:
                self._remove_created()

    def _remove_created(self) -> None:
        """Remove the folders this run created if they hold nothing (a failed first run)."""
        if self._created and self.path.is_dir():
            if [p.name for p in self.path.iterdir()] in ([], [LOCK]):
                (self.path / LOCK).unlink(missing_ok=True)
        for p in self._created:  # deepest first
            try:
                p.rmdir()
            except OSError:
                break

    def _clean_failed(self) -> None:
        """After a failure (not a kill): drop a checkpoint folder with no sampler state in it,
        and a staging folder left empty."""
        ck = self.work / CHECKPOINT
        if ck.is_dir() and not _sampler_files(ck):
            shutil.rmtree(ck, ignore_errors=True)
        if self.work != self.path and self.work.is_dir() and not any(self.work.iterdir()):
            self.work.rmdir()

    # -- the run ------------------------------------------------------------------------------
    def begin(self, fp: Fingerprint, resume: bool | str = False, force: bool = False) -> bool:
        """Check the folder against the run ``fp`` and choose the work folder (:attr:`work`:
        the folder itself, or ``.staging/`` when ``force`` replaces a finished result).
        Returns whether the sampler resumes a checkpoint."""
        finished = is_finished(self.path)
        if finished and not force:
            why = finished_difference(self.path, fp)
            raise GlobalfitError(
                f"{self.path} already holds a finished result"
                + (" of this run" if why is None else " of another run"
                   + (f" ({why} differ)" if why else ""))
                + "; pass --force to replace it or --out to write elsewhere.")
        self.work = self.path / STAGING if finished else self.path
        ck = self.work / CHECKPOINT
        saved = _sampler_files(ck) if ck.is_dir() else []
        resuming = False
        if resume and saved:
            meta = _read_meta(ck)
            if meta is None:
                raise GlobalfitError(
                    f"The checkpoint in {ck} has no fingerprint (an older globalfit wrote it) "
                    "and cannot be checked; start afresh with --force.")
            if meta.get("fingerprint") != fp.digest:
                raise GlobalfitError(
                    f"The checkpoint in {ck} belongs to a different run: "
                    f"{describe_difference(meta.get('content', {}), fp.content)} differ; "
                    "start afresh with --force or write elsewhere with --out.")
            kept = max(0.0, max(f.stat().st_mtime for f in saved)
                       - float(meta.get("segment_started", time.time())))
            self.elapsed_before = float(meta.get("elapsed_s", 0.0)) + kept
            self.segments = int(meta.get("segments", 1)) + 1
            resuming = True
        elif resume is True:
            raise GlobalfitError(f"Nothing to resume: {self.path} holds no checkpoint.")
        elif saved and not force and resume != "auto":
            raise GlobalfitError(
                f"{self.path} holds the checkpoint of an unfinished run; pass --resume to "
                "continue it or --force to start afresh.")
        if self.work != self.path:  # a staged run keeps nothing but its own checkpoint
            for p in (self.work.iterdir() if self.work.is_dir() else []):
                if p.name != CHECKPOINT or not resuming:
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
        if not resuming:
            shutil.rmtree(ck, ignore_errors=True)
        ck.mkdir(parents=True, exist_ok=True)
        meta = {"fingerprint": fp.digest, "content": fp.content,
                "elapsed_s": self.elapsed_before, "segment_started": time.time(),
                "segments": self.segments}
        atomic_write(ck / RUN_META, lambda p: p.write_text(json.dumps(meta)))
        return resuming

    def commit(self) -> None:
        """The result in :attr:`work` is complete (its ``summary.json`` written last): drop the
        checkpoint and, for a staged run, swap the new result in."""
        shutil.rmtree(self.work / CHECKPOINT, ignore_errors=True)
        if self.work != self.path:
            self._swap()
        self._committed = True

    def _swap(self) -> None:
        """Replace the folder's result by the complete one in ``.staging/``. summary.json goes
        first (the folder stops being finished) and comes back last; an interrupted swap is
        finished by :meth:`_recover`."""
        staged = self.path / STAGING
        new = {p.name for p in staged.iterdir() if p.name != CHECKPOINT}
        try:
            old = set(read_summary(self.path).get("files", DEFAULT_FILES))
        except GlobalfitError:
            old = set(DEFAULT_FILES)
        (self.path / SUMMARY).unlink(missing_ok=True)
        for name in sorted(old - new):
            target = self.path / name
            if target.is_file():
                target.unlink()
        for name in sorted(new - {SUMMARY}):
            os.replace(staged / name, self.path / name)
        os.replace(staged / SUMMARY, self.path / SUMMARY)
        shutil.rmtree(staged, ignore_errors=True)

    def _recover(self) -> None:
        """Finish what a killed run left: a complete staged result is swapped in; the checkpoint
        of a finished result is dropped."""
        if (self.path / STAGING / SUMMARY).is_file():
            self._swap()
        if is_finished(self.path) and (self.path / CHECKPOINT).is_dir():
            shutil.rmtree(self.path / CHECKPOINT, ignore_errors=True)


def _sampler_files(ck: Path) -> list[Path]:
    """The sampler's checkpoint files in ``ck`` (not the run's meta, not temporary files); a
    sampler that keeps a folder of its own (UltraNest) counts by that folder's files."""
    out = []
    for p in ck.iterdir():
        if p.name == RUN_META or p.name.startswith(".") or p.name.endswith(".tmp"):
            continue
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += [f for f in p.rglob("*") if f.is_file()]
    return out


def _read_meta(ck: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((ck / RUN_META).read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None
