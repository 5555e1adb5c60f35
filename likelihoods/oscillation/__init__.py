"""Neutrino oscillations with NSI in matter: DUNE, T2HK projections and current global data.

:func:`probabilities` (and :func:`probabilities_nu_nubar`, both at once) is the propagation
engine (physics.md section 2); the likelihoods are ``dune``, ``t2hk``, ``osc_global_2018``,
``minos_2017`` and ``superk_atm_2023``.
"""

from likelihoods.oscillation.engine import (
    OSC_NAMES,
    pmns,
    probabilities,
    probabilities_nu_nubar,
    vacuum_mass_matrix,
)

__all__ = ["OSC_NAMES", "pmns", "probabilities", "probabilities_nu_nubar", "vacuum_mass_matrix"]
