"""Data layer: the public data releases likelihoods read (architecture.md, "Data layer").

Releases are not in the repository. A release is named by its folder (``coherent/csi2017``,
``oscillation/dune_tdr_globes``, ...) and found, in order, under ``$GLOBALFIT_DATA_DIR`` (a local
mirror with the same layout; CI points it at ``../shared/data``) or in the pooch cache
(``globalfit data fetch NAME`` downloads there and checks every file's sha256).

:func:`release_path` checks every file of a release against ``releases.toml`` before its first use
in a process (hashes are cached by path, size and modification time, so later calls cost
nothing) and refuses a file that differs; :func:`recording` collects the hashes of what was read,
for a run's fingerprint and provenance.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from globalfit.errors import DataReleaseCorrupt, DataReleaseMissing, unknown

ENV = "GLOBALFIT_DATA_DIR"
#: Releases read in this process.
USED: set[str] = set()
#: sha256 of files already hashed in this process, by (path, size, mtime_ns).
_HASHES: dict[tuple[str, int, int], str] = {}
#: Open :func:`recording` collectors: release name -> {file: "sha256:..."}.
_RECORDERS: list[dict[str, dict[str, str]]] = []


@functools.cache
def releases() -> dict[str, dict[str, Any]]:
    """The known releases: folder, title, citation, official source, base_url and file hashes."""
    with (Path(__file__).with_name("releases.toml")).open("rb") as fh:
        return tomllib.load(fh)["release"]


def cache_dir() -> Path:
    import pooch

    return Path(pooch.os_cache("globalfit"))


def _roots() -> list[Path]:
    roots = []
    if os.environ.get(ENV):
        roots.append(Path(os.environ[ENV]).expanduser())
    roots.append(cache_dir())
    return roots


def release_info(name: str) -> dict[str, Any]:
    """The entry of release ``name`` in ``releases.toml`` (an unknown name: near names)."""
    rel = releases()
    if name not in rel:
        raise unknown("data release", name, rel)
    return rel[name]


def locate(name: str) -> Path | None:
    """Folder holding every file of release ``name``, or None."""
    info = release_info(name)
    for root in _roots():
        folder = root / info["folder"]
        if all((folder / f).is_file() for f in info["files"]):
            return folder
    return None


def _env_note() -> str:
    """Why ``$GLOBALFIT_DATA_DIR`` did not help: unset, or a folder that does not exist."""
    env = os.environ.get(ENV)
    if not env:
        return f" ({ENV} is not set)"
    if not Path(env).expanduser().is_dir():
        return f" ({ENV}={env} is a folder that does not exist)"
    return ""


def file_hash(path: Path, algo: str = "sha256") -> str:
    """``algo:hexdigest`` of a file, cached in this process by path, size and mtime."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if algo != "sha256" or key not in _HASHES:
        h = hashlib.new(algo)
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        if algo != "sha256":
            return f"{algo}:{h.hexdigest()}"
        _HASHES[key] = h.hexdigest()
    return f"sha256:{_HASHES[key]}"


def verify(name: str, folder: Path) -> dict[str, str]:
    """The hash of every file of release ``name`` in ``folder``; raises
    :class:`DataReleaseCorrupt` for the first file that differs from ``releases.toml``."""
    info = release_info(name)
    got = {}
    for f, want in info["files"].items():
        algo = want.split(":", 1)[0]
        got[f] = file_hash(folder / f, algo)
        if got[f] != want:
            how = (f"'globalfit data fetch {name}'" if info.get("base_url")
                   else f"a fresh copy from {info['source']}")
            raise DataReleaseCorrupt(
                f"Data release {name!r}: {folder / f} has {got[f]} but releases.toml expects "
                f"{want}; the file is damaged or not the published one, so replace it with "
                f"{how}.")
    return got


@contextlib.contextmanager
def recording() -> Iterator[dict[str, dict[str, str]]]:
    """Collect ``{release: {file: hash}}`` of every release read inside the block."""
    used: dict[str, dict[str, str]] = {}
    _RECORDERS.append(used)
    try:
        yield used
    finally:
        _RECORDERS.remove(used)


def release_path(name: str) -> Path:
    """Folder of release ``name``, its files verified against ``releases.toml``; raises
    :class:`DataReleaseMissing` saying how to get it, or :class:`DataReleaseCorrupt`."""
    folder = locate(name)
    if folder is None:
        info = release_info(name)
        raise DataReleaseMissing(
            f"Data release {name!r} ({info['title']}) is not on this machine{_env_note()}: run "
            f"'globalfit data fetch {name}', or set {ENV} to a folder holding "
            f"{info['folder']}/ (source: {info['source']})."
        )
    hashes = verify(name, folder)
    USED.add(name)
    for rec in _RECORDERS:
        rec[name] = hashes
    return folder


def status(name: str) -> dict[str, Any]:
    """Where a release is and whether its files match the registered hashes."""
    info = release_info(name)
    folder = locate(name)
    out: dict[str, Any] = {"name": name, "title": info["title"], "path": str(folder) if folder
                           else None, "files": len(info["files"]), "ok": False, "bad": []}
    if folder is not None:
        for f, h in info["files"].items():
            if file_hash(folder / f, h.split(":", 1)[0]) != h:
                out["bad"].append(f)
        out["ok"] = not out["bad"]
    return out


def fetch(name: str, progress: bool = True) -> Path:
    """Download release ``name`` into the cache with pooch, checking every file's hash."""
    import pooch

    info = release_info(name)
    folder = locate(name)
    if folder is not None:
        try:
            return release_path(name)
        except DataReleaseCorrupt:
            if cache_dir() not in folder.parents:
                raise
            # a damaged copy in the cache: pooch downloads the files whose hash differs
    if not info.get("base_url"):
        raise DataReleaseMissing(
            f"Release {name!r} has no direct download: get it from {info['source']} and put its "
            f"files under $GLOBALFIT_DATA_DIR/{info['folder']}/."
        )
    target = cache_dir() / info["folder"]
    fetcher = pooch.create(path=target, base_url=info["base_url"], registry=info["files"])
    try:
        for f in info["files"]:
            fetcher.fetch(f, progressbar=progress)
    except Exception as exc:  # network errors come in many types
        raise DataReleaseMissing(
            f"Could not download {name!r} from {info['base_url']} ({type(exc).__name__}); "
            f"get it from {info['source']} and set {ENV}."
        ) from None
    return target
