"""The COHERENT run cards build a Fit whose log-posterior is finite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from globalfit import Fit

RUNS = Path(__file__).resolve().parents[2] / "runs"
CARDS = ["coherent_nsi_ee.toml", "zprime_A_coherent.toml", "zprime_A_coherent_scan.toml"]


@pytest.mark.data
@pytest.mark.parametrize("card", CARDS)
def test_card_builds_and_evaluates(card, need_release):
    need_release("coherent/lar2020")
    need_release("coherent/csi2021")
    fit = Fit.from_card(RUNS / card)
    th = fit.prior_transform(np.full(fit.ndim, 0.4))
    assert np.isfinite(float(fit.logpost(th)))  # gradients: test_lar_csi2021.py
    free = {"coherent_nsi_ee.toml": {"eps_ee_u", "eps_ee_d"}}.get(card, {"g_prime"})
    assert free <= set(fit.parameters) and "m_zprime" not in fit.parameters


def test_plot_script_writes_png(tmp_path):
    from likelihoods.coherent.plot_spectra import main

    main(["--out", str(tmp_path), "--only", "coherent_csi_2017"])
    png = tmp_path / "coherent_csi_2017.png"
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"
