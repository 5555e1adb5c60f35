"""Samplers behind one interface: ``run(fit, card, run_dir, resume, progress) -> SamplerOutput``.

A sampler is a module with ``run`` and ``SETTINGS`` (its run-card settings, declared as
:class:`globalfit.schema.Setting` with type, range and default, from which cards are validated);
adding one is one line here. ``resume`` is True when the sampler continues its checkpoint in
``run_dir/checkpoint`` (which ``globalfit.run_folder`` has checked belongs to this run), else
False (start afresh); ``run_dir`` is where the run writes (the folder, or its staging area).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from globalfit.errors import unknown
from globalfit.samplers import (
    dynesty_sampler,
    nautilus_sampler,
    nuts_sampler,
    reweight_sampler,
    ultranest_sampler,
)
from globalfit.samplers.base import SamplerOutput
from globalfit.schema import Setting

SAMPLERS: dict[str, Callable[..., SamplerOutput]] = {
    "dynesty": dynesty_sampler.run,
    "nuts": nuts_sampler.run,
    "ultranest": ultranest_sampler.run,  # optional: pip install "globalfit[samplers]"
    "nautilus": nautilus_sampler.run,  # optional: pip install "globalfit[samplers]"
    "reweight": reweight_sampler.run,  # importance reweighting of a finished run by more data
}


def get_sampler(name: str) -> Callable[..., SamplerOutput]:
    if name not in SAMPLERS:
        raise unknown("sampler", name, SAMPLERS)
    return SAMPLERS[name]


def settings_schema(name: str) -> Mapping[str, Setting]:
    """The declared settings (``SETTINGS``) of sampler ``name``'s module."""
    return sys.modules[get_sampler(name).__module__].SETTINGS


__all__ = ["SAMPLERS", "SamplerOutput", "get_sampler", "settings_schema"]
