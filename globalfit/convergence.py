"""The convergence verdict of a run (``summary.json`` ``convergence``): a result that a sampler
stopped short of its own criterion, or whose chains disagree, must not look finished.

Criteria (any sampler, from its diagnostics, see ``SamplerOutput``):
- the sampler stopped early (dynesty: ``maxcall`` hit or ``dlogz`` not reached);
- split R-hat above 1.01 for any parameter (Vehtari et al. 2021, arXiv:1903.08008);
- any divergent transition (NUTS);
- an effective sample size below :data:`ESS_FLOOR` (per parameter where the sampler gives one).
"""

from __future__ import annotations

import math
from typing import Any

#: Largest acceptable rank-normalised split R-hat.
RHAT_MAX = 1.01
#: Smallest acceptable (bulk) effective sample size (Vehtari et al. 2021 recommend 400).
ESS_FLOOR = 400.0


def verdict(diagnostics: dict[str, Any]) -> dict[str, Any]:
    """``{"converged": bool, "reasons": [sentences], "criteria": {...}}``."""
    reasons: list[str] = []
    if diagnostics.get("stopped_early"):
        reasons.append(f"stopped early: {diagnostics['stopped_early']}")
    rhat = diagnostics.get("r_hat") or {}
    bad = {n: r for n, r in rhat.items() if r is None or not math.isfinite(r) or r > RHAT_MAX}
    if bad:
        worst = max(bad, key=lambda n: -math.inf if bad[n] is None else bad[n])
        reasons.append(f"R-hat of {worst} is {_num(bad[worst])} > {RHAT_MAX}"
                       + (f" ({len(bad)} parameters)" if len(bad) > 1 else ""))
    ndiv = diagnostics.get("divergences")
    if ndiv:
        reasons.append(f"{ndiv} divergent transitions")
    ess = diagnostics.get("ess")
    if isinstance(ess, dict) and ess:
        low = {n: e for n, e in ess.items() if e is None or not e >= ESS_FLOOR}
        if low:
            worst = min(low, key=lambda n: -math.inf if low[n] is None else low[n])
            reasons.append(f"bulk ESS of {worst} is {_num(low[worst])} < {ESS_FLOOR:g}"
                           + (f" ({len(low)} parameters)" if len(low) > 1 else ""))
    elif isinstance(ess, int | float) and not ess >= ESS_FLOOR:
        reasons.append(f"effective sample size {_num(ess)} < {ESS_FLOOR:g}")
    return {"converged": not reasons, "reasons": reasons,
            "criteria": {"r_hat_max": RHAT_MAX, "ess_min": ESS_FLOOR,
                         "divergences": 0, "sampler_criterion": "met"}}


def _num(x: Any) -> str:
    return "undefined" if x is None or not math.isfinite(x) else f"{x:.4g}"


def label(summary: dict[str, Any]) -> str:
    """``converged``, ``NOT CONVERGED: reasons`` or ``unknown`` (a result from before verdicts)."""
    c = summary.get("convergence")
    if not isinstance(c, dict) or "converged" not in c:
        return "unknown"
    return "converged" if c["converged"] else "NOT CONVERGED: " + "; ".join(c.get("reasons", []))
