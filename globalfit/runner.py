"""Run a card: build the Fit, sample, write the result folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from globalfit.card import SAMPLER_KEYS, RunCard
from globalfit.errors import GlobalfitError
from globalfit.fit import Fit
from globalfit.results import SUMMARY, is_finished, write_run
from globalfit.samplers import get_sampler


def output_dir(card: RunCard, out: str | Path | None) -> Path:
    if out is not None:
        return Path(out)
    if "dir" in card.output:
        return Path(card.output["dir"])
    stem = card.path.stem if card.path else "run"
    return Path("out") / stem


def with_sampler(card: RunCard, name: str | None) -> RunCard:
    """The card with its sampler switched to ``name`` (keeping the seed and settings that apply)."""
    if name is None or name == card.sampler["name"]:
        return card
    get_sampler(name)
    keep = {k: v for k, v in card.sampler.items() if k in SAMPLER_KEYS[name]}
    keep["name"] = name
    raw = dict(card.raw)
    raw["sampler"] = keep
    return RunCard.from_dict(raw, card.path)


def run_card(card: str | Path | RunCard, out: str | Path | None = None, sampler: str | None = None,
             resume: bool = False, force: bool = False, progress: bool = True,
             ) -> tuple[Path, dict[str, Any]]:
    """Run a card and write its result folder; returns (folder, summary)."""
    card = card if isinstance(card, RunCard) else RunCard.load(card)
    card = with_sampler(card, sampler)
    run_dir = output_dir(card, out)
    if is_finished(run_dir) and not force:
        raise GlobalfitError(
            f"{run_dir} already holds a finished result; pass --force to overwrite it or --out "
            "to write elsewhere.")
    if is_finished(run_dir):
        (run_dir / SUMMARY).unlink()
    if force and not resume:
        shutil.rmtree(run_dir / "checkpoint", ignore_errors=True)
    fit = Fit.from_card(card)
    output = get_sampler(card.sampler["name"])(fit, card, run_dir, resume=resume,
                                               progress=progress)
    summary = write_run(run_dir, fit, card, output)
    shutil.rmtree(run_dir / "checkpoint", ignore_errors=True)
    return run_dir, summary
