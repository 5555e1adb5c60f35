"""Declared schemas for user values: sampler settings (each sampler module declares a
``SETTINGS`` table of :class:`Setting`) and likelihood options (typed by their defaults).

Every check raises :class:`GlobalfitError` with one sentence naming the key, what it must be and
what the card gave; nothing here knows about a particular sampler or likelihood.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from globalfit.errors import GlobalfitError, unknown

_KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false",
          "str": "a string"}


def _show(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass(frozen=True)
class Setting:
    """One sampler setting: its default, kind (``int``, ``float``, ``bool``, ``str``), inclusive
    range or allowed choices, extra literal values it accepts (``"auto"``), whether it may be
    left unset (``optional``: default None, no limit) and whether it changes the result
    (``result``: part of a run's fingerprint; checkpoint cadence is not)."""

    default: Any
    kind: str
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()
    literals: tuple[Any, ...] = ()
    optional: bool = False
    result: bool = True
    doc: str = ""

    def check(self, key: str, value: Any, owner: str) -> Any:
        """The value converted to its kind (a whole float to int), or a GlobalfitError.
        ``owner`` names the table in messages (e.g. ``"sampler 'dynesty'"``)."""
        where = f"The {owner} setting"
        if value is None and self.optional:
            return None
        if value in self.literals and type(value) is type(self.literals[0]):
            return value
        if self.choices:
            if type(value) is bool or value not in self.choices:
                name = value if isinstance(value, str) else _show(value)
                raise unknown(f"value of the {owner} setting {key}:", name,
                              [str(c) for c in self.choices])
            return value
        want = _KINDS[self.kind]
        if self.literals:
            want += " or " + " or ".join(repr(v) for v in self.literals)
        bad = GlobalfitError(f"{where} {key} must be {want}, not {_show(value)}.")
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise bad
            return value
        if self.kind == "str":
            if not isinstance(value, str):
                raise bad
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad
        if not math.isfinite(value):
            raise GlobalfitError(f"{where} {key} must be finite, not {value!r}.")
        if self.kind == "int":
            if value != int(value):
                raise GlobalfitError(f"{where} {key} must be a whole number, not {value!r}.")
            value = int(value)
        else:
            value = float(value)
        if self.min is not None and value < self.min:
            raise GlobalfitError(f"{where} {key} must be at least {self.min:g}, not {value!r}.")
        if self.max is not None and value > self.max:
            raise GlobalfitError(f"{where} {key} must be at most {self.max:g}, not {value!r}.")
        return value


def check_settings(schema: Mapping[str, Setting], given: Mapping[str, Any], owner: str
                   ) -> dict[str, Any]:
    """Every setting of ``schema``: the given value checked and converted, else the default.
    ``owner`` names the table in messages (e.g. ``"sampler 'dynesty'"``)."""
    for key in given:
        if key not in schema:
            raise unknown(f"setting of {owner}", key, schema)
    return {k: s.check(k, given[k], owner) if k in given else s.default
            for k, s in schema.items()}


def sampler_settings(schema: Mapping[str, Setting], card_sampler: Mapping[str, Any],
                     name: str) -> dict[str, Any]:
    """:func:`check_settings` of a card's ``[sampler]`` table (its ``name`` key aside) for the
    sampler ``name``."""
    return check_settings(schema, {k: v for k, v in card_sampler.items() if k != "name"},
                          f"sampler {name!r}")


def result_settings(schema: Mapping[str, Setting], settings: Mapping[str, Any]
                    ) -> dict[str, Any]:
    """The settings that change a run's result (those in its fingerprint)."""
    return {k: v for k, v in settings.items() if k not in schema or schema[k].result}


def check_like(value: Any, example: Any, what: str) -> Any:
    """Check ``value`` against the type of ``example`` (an option's default): numbers for a
    number, whole numbers for an int, booleans for a bool, strings for a string, lists (each item
    like the default's first item) for a list, tables for a table; None as a default accepts
    anything. Returns the value (a whole float given for an int becomes an int)."""
    if example is None:
        return value
    if isinstance(example, bool):
        if not isinstance(value, bool):
            raise GlobalfitError(f"{what} must be true or false, not {_show(value)}.")
        return value
    if isinstance(example, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise GlobalfitError(f"{what} must be a number, not {_show(value)}.")
        if not math.isfinite(value):
            raise GlobalfitError(f"{what} must be finite, not {value!r}.")
        if isinstance(example, int):
            if value != int(value):
                raise GlobalfitError(f"{what} must be a whole number, not {value!r}.")
            return int(value)
        return value
    if isinstance(example, str):
        if not isinstance(value, str):
            raise GlobalfitError(f"{what} must be a string, not {_show(value)}.")
        return value
    if isinstance(example, list | tuple):
        if not isinstance(value, list | tuple):
            raise GlobalfitError(f"{what} must be a list, not {_show(value)}.")
        if example:
            return [check_like(v, example[0], f"{what}[{i}]") for i, v in enumerate(value)]
        return list(value)
    if isinstance(example, Mapping):
        if not isinstance(value, Mapping):
            raise GlobalfitError(f"{what} must be a table, not {_show(value)}.")
        return value
    return value


def check_finite(raw: Any, where: str, path: str = "") -> None:
    """Refuse a NaN or infinite number anywhere in a nested card (TOML allows ``nan``, ``inf``)."""
    if isinstance(raw, float) and not math.isfinite(raw):
        raise GlobalfitError(f"{where}: {path or 'a value'} is {raw!r}; every number in a card "
                             "must be finite.")
    if isinstance(raw, Mapping):
        for k, v in raw.items():
            check_finite(v, where, f"{path}.{k}" if path else str(k))
    elif isinstance(raw, list | tuple):
        for i, v in enumerate(raw):
            check_finite(v, where, f"{path}[{i}]")
