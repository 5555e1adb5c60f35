"""Named default prior sets per model. ``prior = "default"`` in a card takes a parameter's prior
from the set named by ``[model] prior_set`` (``"default"`` unless the card says otherwise)."""

from __future__ import annotations

import math

from priors.families import LogUniform, Prior, Uniform

_NSI_DIAG = {f"eps_{ab}_{f}": Uniform(-1.0, 1.0) for ab in ("ee", "mumu", "tautau")
             for f in ("e", "u", "d")}
_NSI_OFF = {f"eps_{ab}_{f}": Uniform(-0.5, 0.5) for ab in ("emu", "etau", "mutau")
            for f in ("e", "u", "d")}
_NSI_PHASE = {f"phi_{ab}_{f}": Uniform(0.0, 2 * math.pi) for ab in ("emu", "etau", "mutau")
              for f in ("e", "u", "d")}

PRIOR_SETS: dict[str, dict[str, dict[str, Prior]]] = {
    "nsi": {
        # O(1) couplings: the range where oscillation and COHERENT data are informative.
        "default": {**_NSI_DIAG, **_NSI_OFF, **_NSI_PHASE},
        "narrow": {k: Uniform(-0.2, 0.2) for k in (*_NSI_DIAG, *_NSI_OFF)} | _NSI_PHASE,
    },
    "zprime": {
        "default": {"g_prime": LogUniform(1e-6, 1.0), "m_zprime": LogUniform(5e-3, 5e3)},
        "linear": {"g_prime": Uniform(0.0, 1e-2), "m_zprime": LogUniform(5e-3, 5e3)},
    },
    "scalar": {
        "default": {**{f"lambda_{ab}": LogUniform(1e-4, 3.0)
                       for ab in ("ee", "emu", "etau", "mumu", "mutau", "tautau")},
                    "m_phi": LogUniform(1e-3, 1e2)},
        "linear": {**{f"lambda_{ab}": Uniform(0.0, 3.0)
                      for ab in ("ee", "emu", "etau", "mumu", "mutau", "tautau")},
                   "m_phi": LogUniform(1e-3, 1e2)},
    },
}
