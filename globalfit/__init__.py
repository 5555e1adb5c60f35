"""globalfit: Bayesian global fits of non-standard neutrino interactions.

Public API: :class:`Fit`, :func:`get_model`, :func:`get_likelihood`, :func:`list_likelihoods`.
"""

import jax

# Likelihood arithmetic (chi-squares of thousands of events, oscillation phases) needs float64.
jax.config.update("jax_enable_x64", True)

from globalfit.jax_cache import enable_compilation_cache  # noqa: E402

enable_compilation_cache()

from globalfit.errors import GlobalfitError  # noqa: E402
from globalfit.fit import Fit  # noqa: E402
from globalfit.likelihood import Likelihood  # noqa: E402
from globalfit.models import get_model, list_models  # noqa: E402
from globalfit.registry import get_likelihood, list_likelihoods  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Fit", "GlobalfitError", "Likelihood", "get_likelihood", "get_model",
           "list_likelihoods", "list_models", "__version__"]
