"""The package sets polars' allocator before polars loads, and leaves a user's own setting alone."""

from __future__ import annotations

import os
import subprocess
import sys

from synth_assets.core.allocator import POLARS_ALLOCATOR

PROBE = ("import os, sys; import synth_assets; import polars; "
         "print(os.environ['_RJEM_MALLOC_CONF']); print('polars' in sys.modules)")


def _probe(env: dict[str, str]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    return done.stdout.split()


def test_polars_allocator_is_set_unless_the_user_set_it():
    """Polars puts its own defaults first and the variable's value after them: the last value of an option wins."""
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    conf, imported = _probe(env)
    assert imported == "True" and conf.endswith("," + POLARS_ALLOCATOR), conf
    conf, _ = _probe(env | {"_RJEM_MALLOC_CONF": "dirty_decay_ms:0"})
    assert conf.endswith(",dirty_decay_ms:0") and POLARS_ALLOCATOR not in conf, conf


def test_a_bad_setting_does_not_break_polars():
    """jemalloc warns about an option it does not know and goes on: polars still computes."""
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | {"_RJEM_MALLOC_CONF": "no_such:1"}
    code = "import synth_assets, polars as pl; print(pl.Series([2, 1]).sort()[0])"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.strip() == "1"
