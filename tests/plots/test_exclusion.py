"""Exclusion plots in the field's style: measurements shaded, projections dashed, Bayesian limits
with markers, one colour per experiment or combination, gaps where nothing is constrained."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

from globalfit.plots import ExclusionCurve, exclusion_figure, exclusion_plot

M = np.geomspace(0.01, 100, 9)


def curves():
    return [
        ExclusionCurve(M, 0.1 * (1 + M), "meson decays"),
        ExclusionCurve(M, np.where(M < 1, 0.5, np.nan), "tau decays"),
        ExclusionCurve(M, 0.05 * (1 + M / 10), "HL-LHC", projection=True),
        ExclusionCurve(M, 0.07 * (1 + M / 10), "HL-LHC", kind="bayesian", projection=True),
    ]


def test_styles_and_legends():
    fig = exclusion_figure(curves(), r"$m_\phi$ [GeV]", r"$|\lambda_{ee}|$")
    ax = fig.axes[0]
    lines = [ln for ln in ax.lines if len(ln.get_xdata()) == len(M)]
    meson, tau, hl_profile, hl_bayes = lines
    assert meson.get_linestyle() == "-" and hl_profile.get_linestyle() == "--"
    assert hl_bayes.get_marker() == "o" and meson.get_marker() in ("None", None, "")
    assert hl_profile.get_color() == hl_bayes.get_color() != meson.get_color()
    assert np.isnan(tau.get_ydata()[-1])  # a gap where tau decays constrain nothing
    # the two measurements are shaded in their colours, the projection is not
    shaded = [tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in ax.collections]
    assert len(shaded) == 2
    assert tuple(np.round(to_rgb(meson.get_color()), 3)) in shaded
    assert ax.get_xscale() == ax.get_yscale() == "log"
    names = [t.get_text() for t in ax.get_legend().get_texts()]  # the style key
    assert names == ["measurement (excluded above)", "projection",
                     r"profile $\Delta\chi^2 = 3.84$", "Bayesian 95% upper limit"]
    experiments = [t.get_text() for t in ax.artists[0].get_texts()]
    assert experiments == ["meson decays", "tau decays", "HL-LHC"]


def test_nothing_constrained_says_so(tmp_path):
    out = exclusion_plot([ExclusionCurve(M, np.full(len(M), np.nan), "none")],
                         tmp_path / "x.png", "m", "g")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = exclusion_figure([ExclusionCurve(M, np.full(len(M), np.nan), "none")], "m", "g")
    assert "no coupling is constrained" in fig.axes[0].texts[0].get_text()
