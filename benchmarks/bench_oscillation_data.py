"""Speed of the real-data oscillation likelihoods, minos_2017 and superk_atm_2023 (plain script).

    GLOBALFIT_DATA_DIR=../shared/data python benchmarks/bench_oscillation_data.py

Per likelihood, through a Fit with the NSI model (eps^u_mutau free; oscillation parameters and
nuisances sampled): log-posterior for one point, per point in a batch of 32 (the Fit's batched
path, as samplers call it: one vmap, points ``batch_size`` at a time, or one point per core,
"batch threads", globalfit/threaded_batch.py), and value
plus gradient for one point; best of several runs. The last row is the two together, as the
osc_data cards use them (one jitted function): it should cost the sum of the two rows above
(with minos_2017's covariance factorised by LAPACK it cost 1.7x more batched and 1.3x more
per value + gradient; globalfit/linalg.py). Baseline in the same process: the
dune + t2hk log-posterior (profiled normalisations), one point, so the figures are ratios that
survive a shared machine.
"""


import jax
import numpy as np
from bench_oscillation import best  # same folder: python benchmarks/bench_oscillation_data.py

import globalfit


def costs(likelihoods, options=None, n=20):
    fit = globalfit.Fit(model="nsi", likelihoods=likelihoods, likelihood_options=options or {},
                        priors={"eps_mutau_u": {"prior": "uniform", "min": -0.05, "max": 0.05}})
    rng = np.random.default_rng(1)
    batch = np.stack([np.asarray(fit.prior_transform(u)) for u in rng.uniform(size=(32, fit.ndim))])
    th = batch[0]
    lp = jax.jit(fit.raw_logpost)
    lpb = fit.logpost  # a batch as the samplers pass it: the Fit's batched path (vmap, or
    # lax.map in chunks of the likelihoods' batch_size), NumPy in and out
    vg = jax.jit(jax.value_and_grad(fit.raw_logpost))
    lp(th).block_until_ready()
    lpb(batch)
    vg(th)[1].block_until_ready()
    single = best(lambda: lp(th).block_until_ready(), n=n)
    batched = best(lambda: np.asarray(lpb(batch)), n=max(2, n // 5)) / len(batch)
    grad = best(lambda: vg(th)[1].block_until_ready(), n=n)
    return fit.ndim, single, batched, grad, fit._c.point_threads


def superk_breakdown(n=5):
    """superk_atm_2023 at one point: the layered-Earth propagation (nu and nubar, every
    zenith node x energy x crossed segment) against the whole log-likelihood, and the grid."""
    from globalfit.models import Point, get_model
    from likelihoods.oscillation.earth import _crossed_segments, _path_groups
    from likelihoods.oscillation.nufit import best_fit
    from likelihoods.oscillation.superk_atm_2023 import SuperKAtm2023

    lik = SuperKAtm2023()
    m = get_model("nsi")
    osc = best_fit("NO")
    nuis = {k: 0.0 for k in lik.nuisance_priors()}
    eps = {**m.defaults(), "eps_mutau_u": 0.01}
    whole = jax.jit(lambda o: lik.chi2(Point(m, eps, {**o, **nuis})))
    prop = jax.jit(lambda o: lik.oscillation_weights(o, Point(m, eps, o).eps_matter))
    whole(osc).block_until_ready()
    jax.block_until_ready(prop(osc))
    t_all = best(lambda: whole(osc).block_until_ready(), n=n)
    t_prop = best(lambda: jax.block_until_ready(prop(osc)), n=n)
    seg, steps = _crossed_segments(lik.paths)
    groups = _path_groups(steps, len(seg[0]))
    work = sum(st.size for _, _, st in groups)
    print(f"superk_atm_2023 grid: {int(lik.paths.up.sum())} up-going x {len(lik.e_centres)} "
          f"energies, {len(seg[0])} crossed (zenith, shell) segments, {steps.shape[0]} crossing "
          f"steps at most, run in {len(groups)} groups ({work} padded path-steps, "
          f"{int((steps < len(seg[0])).sum())} real); propagation {t_prop / t_all:.0%} of the "
          f"log-likelihood ({t_prop * 1e3:.1f} of {t_all * 1e3:.1f} ms)")
    layouts(lik, osc, seg, n)


def layouts(lik, osc, seg, n):
    """The operators of one set (neutrinos) of the default grid in the layout they are computed
    in, (segments, energies, 9), against the same reshaped to (segments, energies, 3, 3): the
    layout earth.py used before 2026-11-30 (engine.transposed_layer_operators, ``flat``)."""
    from likelihoods.oscillation.engine import transposed_layer_operators

    up = lik.paths.up
    args = (lik.e_centres, lik.paths.length[up][seg], lik.paths.rho[up][seg],
            lik.paths.ye[seg[1]])
    eps = np.zeros((3, 3), complex)
    flat = jax.jit(lambda o: transposed_layer_operators(*args, osc=o, eps=eps, flat=True))
    square = jax.jit(lambda o: transposed_layer_operators(*args, osc=o, eps=eps,
                                                          real_pair=True))
    t = {}
    for _ in range(3):  # alternating rounds
        for name, f in (("flat", flat), ("3x3", square)):
            jax.block_until_ready(f(osc))
            t[name] = min(t.get(name, np.inf), best(lambda f=f: jax.block_until_ready(f(osc)),
                                                    n=n))
    print(f"operators of one set ({len(seg[0])} x {len(lik.e_centres)}): flat layout "
          f"{t['flat'] * 1e3:.2f} ms, as (..., 3, 3) {t['3x3'] * 1e3:.2f} ms "
          f"({t['3x3'] / t['flat']:.2f}x)")


def main():
    base = costs(["dune", "t2hk"], {"dune": {"nuisances": "profiled"},
                                    "t2hk": {"nuisances": "profiled"}}, n=50)[1]
    print(f"baseline dune + t2hk log-posterior, one point: {base * 1e3:.3f} ms")
    print("| likelihood | parameters | single point | batched (per point, 32) | value + gradient |"
          " batch threads |")
    for label, names, n in (("minos_2017", ["minos_2017"], 20),
                            ("superk_atm_2023", ["superk_atm_2023"], 5),
                            ("both (the osc_data cards)", ["superk_atm_2023", "minos_2017"], 5)):
        ndim, s, b, g, threads = costs(names, n=n)
        print(f"| {label} | {ndim} | {s * 1e3:.2f} ms ({s / base:.1f}x) | {b * 1e3:.2f} ms "
              f"({b / base:.1f}x) | {g * 1e3:.2f} ms ({g / base:.1f}x) | {threads} |", flush=True)
    superk_breakdown()


if __name__ == "__main__":
    main()
