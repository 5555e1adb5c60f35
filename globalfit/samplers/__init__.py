"""Samplers behind one interface: ``run(fit, card, run_dir, resume, progress) -> SamplerOutput``."""

from __future__ import annotations

from collections.abc import Callable

from globalfit.errors import unknown
from globalfit.samplers import dynesty_sampler, nautilus_sampler, nuts_sampler, ultranest_sampler
from globalfit.samplers.base import SamplerOutput

SAMPLERS: dict[str, Callable[..., SamplerOutput]] = {
    "dynesty": dynesty_sampler.run,
    "nuts": nuts_sampler.run,
    "ultranest": ultranest_sampler.run,  # optional: pip install "globalfit[samplers]"
    "nautilus": nautilus_sampler.run,  # optional: pip install "globalfit[samplers]"
}
SETTINGS = {"dynesty": dynesty_sampler.settings_for, "nuts": nuts_sampler.settings_for,
            "ultranest": ultranest_sampler.settings_for,
            "nautilus": nautilus_sampler.settings_for}


def get_sampler(name: str) -> Callable[..., SamplerOutput]:
    if name not in SAMPLERS:
        raise unknown("sampler", name, SAMPLERS)
    return SAMPLERS[name]


__all__ = ["SAMPLERS", "SamplerOutput", "get_sampler"]
