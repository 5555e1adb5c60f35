"""Run cards: one TOML file a run (architecture.md, "Run cards"). Parsing and validation only."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from globalfit.errors import GlobalfitError, unknown

SECTIONS = ("model", "likelihoods", "parameters", "sampler", "output", "plots", "scan", "title")
SAMPLER_KEYS = {
    "dynesty": ("name", "seed", "nlive", "dynamic", "bound", "sample", "dlogz", "maxcall",
                "checkpoint_every", "queue_size", "pfrac", "n_effective"),
    "nuts": ("name", "seed", "chains", "warmup", "samples", "target_accept", "max_tree_depth",
             "chain_method", "init"),
    "ultranest": ("name", "seed", "nlive", "dlogz", "min_ess", "frac_remain", "max_ncalls",
                  "ndraw_min", "ndraw_max"),
    "nautilus": ("name", "seed", "nlive", "n_eff", "f_live", "n_networks", "n_batch",
                 "discard_exploration"),
}


@dataclass
class RunCard:
    """A parsed run card. ``raw`` is the card as written (kept in every result's provenance)."""

    model: str
    model_options: dict[str, Any]
    prior_set: str
    likelihoods: list[str]
    likelihood_options: dict[str, dict[str, Any]]
    parameters: dict[str, Any]
    sampler: dict[str, Any]
    output: dict[str, Any]
    plots: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def load(cls, path: str | Path) -> RunCard:
        path = Path(path)
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError:
            raise GlobalfitError(f"Run card {path} does not exist.") from None
        except IsADirectoryError:
            raise GlobalfitError(f"{path} is a folder, not a run card.") from None
        except tomllib.TOMLDecodeError as exc:
            raise GlobalfitError(f"Run card {path} is not valid TOML: {exc}.") from None
        return cls.from_dict(raw, path)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], path: Path | None = None) -> RunCard:
        where = f"Run card {path}" if path else "The run card"
        for key in raw:
            if key not in SECTIONS:
                raise unknown(f"section in {where.lower() if not path else str(path)}:", key,
                              SECTIONS)
        model = dict(_table(raw, "model", where))
        if "name" not in model:
            raise GlobalfitError(f"{where} needs [model] name = \"nsi\" | \"zprime\" | \"scalar\".")
        name = model.pop("name")
        prior_set = model.pop("prior_set", "default")
        lik = dict(_table(raw, "likelihoods", where))
        use = lik.pop("use", [])
        if not isinstance(use, list) or not all(isinstance(u, str) for u in use):
            raise GlobalfitError(f"{where}: [likelihoods] use must be a list of names.")
        for k, v in lik.items():
            if k not in use:
                raise GlobalfitError(
                    f"{where} has options for likelihood {k!r}, which is not in [likelihoods] use."
                )
            if not isinstance(v, dict):
                raise GlobalfitError(f"{where}: [likelihoods.{k}] must be a table of options.")
        sampler = dict(_table(raw, "sampler", where)) or {"name": "dynesty"}
        sampler.setdefault("name", "dynesty")
        if sampler["name"] not in SAMPLER_KEYS:
            raise unknown("sampler", sampler["name"], SAMPLER_KEYS)
        for k in sampler:
            if k not in SAMPLER_KEYS[sampler["name"]]:
                raise unknown(f"setting of sampler {sampler['name']!r}", k,
                              SAMPLER_KEYS[sampler["name"]])
        return cls(
            model=name, model_options=model, prior_set=prior_set, likelihoods=use,
            likelihood_options=lik, parameters=dict(_table(raw, "parameters", where)),
            sampler=sampler, output=dict(_table(raw, "output", where)),
            plots=dict(_table(raw, "plots", where)), title=str(raw.get("title", "")), raw=raw,
            path=path,
        )


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    val = raw.get(key, {})
    if not isinstance(val, dict):
        raise GlobalfitError(f"{where}: [{key}] must be a table.")
    return val
