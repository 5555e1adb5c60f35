"""Data layer: the public data releases likelihoods read (architecture.md, "Data layer").

Releases are not in the repository. A release is named by its folder (``coherent/csi2017``,
``oscillation/dune_tdr_globes``, ...) and found, in order, under ``$GLOBALFIT_DATA_DIR`` (a local
mirror with the same layout; CI points it at ``../shared/data``) or in the pooch cache
(``globalfit data fetch NAME`` downloads there and checks every file's sha256).
"""

from __future__ import annotations

import functools
import hashlib
import os
import tomllib
from pathlib import Path
from typing import Any

from globalfit.errors import DataReleaseMissing, unknown

ENV = "GLOBALFIT_DATA_DIR"
#: Releases read in this process (recorded in every result's provenance).
USED: set[str] = set()


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


def _info(name: str) -> dict[str, Any]:
    rel = releases()
    if name not in rel:
        raise unknown("data release", name, rel)
    return rel[name]


def locate(name: str) -> Path | None:
    """Folder holding every file of release ``name``, or None."""
    info = _info(name)
    for root in _roots():
        folder = root / info["folder"]
        if all((folder / f).is_file() for f in info["files"]):
            return folder
    return None


def release_path(name: str) -> Path:
    """Folder of release ``name``; raises :class:`DataReleaseMissing` saying how to get it."""
    folder = locate(name)
    if folder is None:
        info = _info(name)
        raise DataReleaseMissing(
            f"Data release {name!r} ({info['title']}) is not on this machine: run "
            f"'globalfit data fetch {name}', or set {ENV} to a folder holding "
            f"{info['folder']}/ (source: {info['source']})."
        )
    USED.add(name)
    return folder


def status(name: str) -> dict[str, Any]:
    """Where a release is and whether its files match the registered hashes."""
    info = _info(name)
    folder = locate(name)
    out: dict[str, Any] = {"name": name, "title": info["title"], "path": str(folder) if folder
                           else None, "files": len(info["files"]), "ok": False, "bad": []}
    if folder is not None:
        for f, h in info["files"].items():
            algo, digest = h.split(":", 1)
            if hashlib.new(algo, (folder / f).read_bytes()).hexdigest() != digest:
                out["bad"].append(f)
        out["ok"] = not out["bad"]
    return out


def fetch(name: str, progress: bool = True) -> Path:
    """Download release ``name`` into the cache with pooch, checking every file's hash."""
    import pooch

    info = _info(name)
    if locate(name) is not None:
        return release_path(name)
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
