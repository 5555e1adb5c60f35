"""Run cards: one TOML file a run (architecture.md, "Run cards"). Parsing and validation only."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from globalfit.errors import GlobalfitError, unknown
from globalfit.schema import check_finite, check_settings

SECTIONS = ("model", "likelihoods", "parameters", "sampler", "output", "plots", "scan",
            "combinations", "title")
SCAN_KEYS = ("over",)
OUTPUT_KEYS = ("dir",)


def check_sampler_table(sampler: dict[str, Any], where: str) -> dict[str, Any]:
    """The ``[sampler]`` table with its name checked and every setting checked against the
    sampler's declared schema (whole floats become ints); defaults are not filled in."""
    from globalfit.samplers import get_sampler, settings_schema

    name = sampler.get("name", "dynesty")
    if not isinstance(name, str):
        raise GlobalfitError(f"{where}: [sampler] name must be a string, not {name!r}.")
    get_sampler(name)
    given = {k: v for k, v in sampler.items() if k != "name"}
    checked = check_settings(settings_schema(name), given, f"sampler {name!r}")
    return {"name": name, **{k: checked[k] for k in given}}


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
        check_finite(raw, where)
        if not isinstance(raw.get("title", ""), str):
            raise GlobalfitError(f"{where}: title must be a string.")
        model = dict(_table(raw, "model", where))
        if "name" not in model:
            raise GlobalfitError(f"{where} needs [model] name = \"nsi\" | \"zprime\" | \"scalar\".")
        name = model.pop("name")
        prior_set = model.pop("prior_set", "default")
        if not isinstance(name, str) or not isinstance(prior_set, str):
            raise GlobalfitError(f"{where}: [model] name and prior_set must be strings.")
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
        sampler = check_sampler_table(dict(_table(raw, "sampler", where)), where)
        from globalfit.combinations import resolve

        resolve(_table(raw, "combinations", where), use)  # groups name known likelihoods
        scan = _table(raw, "scan", where)
        for k, v in scan.items():
            if k not in SCAN_KEYS:
                raise unknown("key of [scan]", k, SCAN_KEYS)
            if not isinstance(v, str):
                raise GlobalfitError(f"{where}: [scan] over must be a string such as "
                                     "\"m_zprime=logspace(-2,1,12)\".")
        output = dict(_table(raw, "output", where))
        for k in output:
            if k not in OUTPUT_KEYS:
                raise unknown("key of [output]", k, OUTPUT_KEYS)
        if "dir" in output and (not isinstance(output["dir"], str) or not output["dir"].strip()):
            raise GlobalfitError(f"{where}: [output] dir must be a non-empty folder name.")
        return cls(
            model=name, model_options=model, prior_set=prior_set, likelihoods=use,
            likelihood_options=lik, parameters=dict(_table(raw, "parameters", where)),
            sampler=sampler, output=output,
            plots=dict(_table(raw, "plots", where)), title=str(raw.get("title", "")), raw=raw,
            path=path,
        )


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    val = raw.get(key, {})
    if not isinstance(val, dict):
        raise GlobalfitError(f"{where}: [{key}] must be a table.")
    return val
