"""Export a run's samples to the tools users analyse chains with (``globalfit export``).

- ``getdist``: GetDist's plain-text chains: ``ROOT.txt`` (nested runs) or ``ROOT_1.txt`` ...
  ``ROOT_k.txt`` (one file per MCMC chain), columns ``weight  -lnL  parameters...``, with
  ``ROOT.paramnames`` (name and LaTeX label) and ``ROOT.ranges`` (the prior edges; ``N`` where
  open). Read with ``getdist.loadMCSamples(ROOT)``.
- ``anesthetic``: nested runs as PolyChord's ``ROOT_dead-birth.txt`` (parameters, ln L, the
  birth contour ln L_birth; -1e30 for a point drawn from the prior), with the same
  ``.paramnames`` and ``.ranges``, so that ``anesthetic.read_chains(ROOT)`` gives NestedSamples
  from which evidences, KL divergences and tension statistics can be recomputed. MCMC runs have
  no birth contours: they are written in the GetDist format, which anesthetic reads as
  MCMCSamples.
- ``csv``: ``ROOT.csv`` with a header: ``weight, loglike`` (and ``logl_birth`` for nested runs,
  ``chain`` for MCMC) then the parameters.

The files go to ``DIR/export/`` unless ``out`` names another folder; ROOT is the run folder's
name. Every file is written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from globalfit.chains import Chains
from globalfit.errors import GlobalfitError
from globalfit.results import atomic_write

FORMATS = ("getdist", "anesthetic", "csv")
#: PolyChord's ln L for "born from the prior" (anesthetic reads it as -inf)
LOGZERO = -1e30
_FMT = "%.12e"


def _write_text(path: Path, text: str) -> Path:
    atomic_write(path, lambda p: p.write_text(text))
    return path


def _write_table(path: Path, table: np.ndarray, header: str = "", delimiter: str = " ") -> Path:
    buf = io.StringIO()
    np.savetxt(buf, table, fmt=_FMT, delimiter=delimiter, header=header, comments="")
    return _write_text(path, buf.getvalue())


def _file(root: Path, tail: str) -> Path:
    """ROOT + tail (not ``with_suffix``: a run's name may contain dots)."""
    return root.with_name(root.name + tail)


def _finite(x: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(x), x, LOGZERO)


def write_paramnames(ch: Chains, root: Path) -> list[Path]:
    """``ROOT.paramnames`` (name, tab, LaTeX label) and ``ROOT.ranges`` (name, min, max)."""
    labels = ch.labels
    names = "".join(f"{n}\t{labels[n]}\n" for n in ch.names)
    ranges = "".join(f"{n}\t{'N' if lo is None else repr(lo)}\t{'N' if hi is None else repr(hi)}\n"
                     for n in ch.names for lo, hi in [ch.prior_range(n)])
    return [_write_text(_file(root, ".paramnames"), names),
            _write_text(_file(root, ".ranges"), ranges)]


def write_getdist(ch: Chains, root: Path) -> list[Path]:
    cols = np.column_stack([ch.weights, -ch.loglike, ch.samples])
    if ch.nested:
        files = [_write_table(_file(root, ".txt"), cols)]
    else:
        files = [_write_table(_file(root, f"_{k + 1}.txt"), cols[ch.chain == k])
                 for k in np.unique(ch.chain)]
    return files + write_paramnames(ch, root)


def birth_contours(ch: Chains) -> np.ndarray:
    """The run's stored birth contours; for a static dynesty run written before they were stored,
    contours consistent with its constant number of live points."""
    if ch.logl_birth is not None:
        return ch.logl_birth
    from globalfit.samplers.dynesty_sampler import births_from_nlive

    settings = ch.summary["sampler"].get("settings", {})
    if settings.get("dynamic") or "nlive" not in settings:
        raise GlobalfitError("This nested run stores no birth contours (it predates them); "
                             "run it again to export it for anesthetic.")
    n = int(settings["nlive"])
    nlive = np.full(len(ch.loglike), n)
    nlive[-n:] = np.arange(n, 0, -1)
    return births_from_nlive(nlive, ch.loglike)


def write_anesthetic(ch: Chains, root: Path) -> list[Path]:
    if not ch.nested:
        return write_getdist(ch, root)
    if ch.loglike_base is not None:
        raise GlobalfitError("A reweighted run is not a nested-sampling run of its own likelihood "
                             "(its birth contours belong to its base run); export it with --to "
                             "getdist or csv.")
    cols = np.column_stack([ch.samples, _finite(ch.loglike), _finite(birth_contours(ch))])
    return [_write_table(_file(root, "_dead-birth.txt"), cols),
            *write_paramnames(ch, root)]


def write_csv(ch: Chains, root: Path) -> list[Path]:
    head, cols = ["weight", "loglike"], [ch.weights, ch.loglike]
    if ch.loglike_base is not None:
        head.append("loglike_base")
        cols.append(ch.loglike_base)
    elif ch.nested:
        head.append("logl_birth")
        cols.append(birth_contours(ch))
    else:
        head.append("chain")
        cols.append(ch.chain)
    table = np.column_stack([*cols, ch.samples])
    return [_write_table(_file(root, ".csv"), table, ",".join(head + ch.names), ",")]


WRITERS = {"getdist": write_getdist, "anesthetic": write_anesthetic, "csv": write_csv}

HOW_TO_READ = {
    "getdist": "getdist.loadMCSamples('{root}')",
    "anesthetic": "anesthetic.read_chains('{root}')",
    "csv": "numpy.genfromtxt('{root}.csv', delimiter=',', names=True)",
}


def export_folder(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Where :func:`export_run` writes; refused in one sentence when it cannot be a folder."""
    if out is not None and not str(out).strip():
        raise GlobalfitError("The export folder name is empty; name a folder.")
    folder = Path(out) if out is not None else Path(run_dir) / "export"
    if folder.exists() and not folder.is_dir():
        raise GlobalfitError(f"Cannot export into {folder}: it is a file, not a folder.")
    return folder


def export_run(run_dir: str | Path, fmt: str, out: str | Path | None = None) -> list[Path]:
    """Write run ``run_dir`` in format ``fmt`` (getdist | anesthetic | csv); returns the files."""
    if fmt not in WRITERS:
        from globalfit.errors import unknown

        raise unknown("export format", fmt, FORMATS)
    folder = export_folder(run_dir, out)
    ch = Chains.from_run(run_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return WRITERS[fmt](ch, folder / ch.name)
    except OSError as exc:
        raise GlobalfitError(f"Cannot write the export into {folder}: {exc.strerror}.") from None
