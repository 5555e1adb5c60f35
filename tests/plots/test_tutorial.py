"""The tutorial notebook (docs/tutorial.ipynb) runs from top to bottom with the built-in
likelihoods, so it never goes stale; every figure and export it promises is written."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "tutorial.ipynb"


def test_tutorial_executes(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = tmp_path / "tutorial_out"
    for name in ("corner_all.png", "overlay.png", "overlay.pdf", "exclusion.png",
                 "export/all.txt", "export/all_dead-birth.txt", "export/all.csv",
                 "all/corner.png", "low_energy/summary.json", "high_energy/summary.json"):
        assert (out / name).is_file(), name
    streams = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []) if o.get("name") == "stderr")
    assert "Traceback" not in streams and "WARNING" not in streams, streams
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []))
    assert images == 3
