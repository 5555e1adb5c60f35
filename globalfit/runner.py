"""Run a card: validate it, build the Fit, sample inside a locked run folder, write the result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from globalfit.card import RunCard
from globalfit.errors import GlobalfitError
from globalfit.fit import Fit
from globalfit.results import write_run
from globalfit.run_folder import Fingerprint, RunFolder, check_output_path
from globalfit.samplers import get_sampler, settings_schema


def output_dir(card: RunCard, out: str | Path | None) -> Path:
    """The result folder: ``--out``, else the card's ``[output] dir``, else ``out/<card stem>``;
    refused at once if it cannot be a folder (empty, a file, under a file, too long)."""
    if out is not None:
        return check_output_path(out)
    if "dir" in card.output:
        return check_output_path(card.output["dir"])
    stem = card.path.stem if card.path else "run"
    return Path("out") / stem


def with_sampler(card: RunCard, name: str | None) -> RunCard:
    """The card with its sampler switched to ``name`` (keeping the seed and settings that apply)."""
    if name is None or name == card.sampler["name"]:
        return card
    keep = {k: v for k, v in card.sampler.items() if k in settings_schema(name)}
    keep["name"] = name
    raw = dict(card.raw)
    raw["sampler"] = keep
    return RunCard.from_dict(raw, card.path)


def run_card(card: str | Path | RunCard, out: str | Path | None = None, sampler: str | None = None,
             resume: bool | str = False, force: bool = False, progress: bool = True,
             fit: Fit | None = None) -> tuple[Path, dict[str, Any]]:
    """Run a card and write its result folder; returns (folder, summary).

    ``resume``: False (refuse to discard a checkpoint unless ``force``), True (continue the
    checkpoint, which must belong to this run) or ``"auto"`` (continue a matching checkpoint if
    there is one, else start afresh). ``force`` replaces a finished result, only once the new one
    is complete. Everything is validated before the folder is touched. ``fit``: the card's Fit
    if the caller has built it already."""
    card = card if isinstance(card, RunCard) else RunCard.load(card)
    card = with_sampler(card, sampler)
    if resume not in (False, True, "auto"):
        raise GlobalfitError(f"resume must be False, True or 'auto', not {resume!r}.")
    run_dir = output_dir(card, out)
    fit = fit or Fit.from_card(card)
    fp = Fingerprint.of(fit, card)
    with RunFolder(run_dir) as folder:
        resuming = folder.begin(fp, resume=resume, force=force)
        output = get_sampler(card.sampler["name"])(fit, card, folder.work, resume=resuming,
                                                   progress=progress)
        output.wall_time += folder.elapsed_before
        summary = write_run(folder.work, fit, card, output, fingerprint=fp,
                            segments=folder.segments)
        folder.commit()
    return run_dir, summary
