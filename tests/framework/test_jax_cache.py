"""Where the persistent compilation cache goes (globalfit.jax_cache)."""

from __future__ import annotations

from pathlib import Path

from globalfit.jax_cache import cache_dir


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("GLOBALFIT_JAX_CACHE", raising=False)
    assert cache_dir() == tmp_path / "globalfit" / "jax"
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "jax"))
    assert cache_dir() == tmp_path / "jax"
    monkeypatch.setenv("GLOBALFIT_JAX_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == Path(tmp_path / "mine")
    for off in ("off", "", "0", "none"):
        monkeypatch.setenv("GLOBALFIT_JAX_CACHE", off)
        assert cache_dir() is None


def test_compiled_programs_are_written_to_the_cache_folder(tmp_path):
    """A globalfit process stores its compiled program in the cache folder, and a second
    process reading it gives the same result."""
    import subprocess
    import sys

    code = ("import globalfit, jax, jax.numpy as jnp\n"
            "jax.config.update('jax_persistent_cache_min_compile_time_secs', 0.0)\n"
            "f = jax.jit(lambda x: jnp.sin(x).sum() * 3.0)\n"
            "print(float(f(jnp.arange(5.0))))\n")
    env = {**__import__("os").environ, "GLOBALFIT_JAX_CACHE": str(tmp_path / "c")}
    outs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True, timeout=300).stdout for _ in range(2)]
    assert outs[0] == outs[1]
    entries = [p for p in (tmp_path / "c").rglob("*") if p.is_file() and "jit" in p.name]
    assert len(entries) >= 1
