"""Shared fixtures: isolated settings, resources and Dagster instances per test."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import dagster as dg
import pytest

from synth_assets.core.resources import SynthSettings, duckdb_resource

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

pytest_plugins = ["synth_assets_tests.postgres_fixture"]

LONG_FIRST = ("cluster/test_local_cluster.py", "smart_home/test_smart_home_assets.py::test_the_demo",
              "test_runs_cli.py", "reliability/test_killed_runs.py")
"""The longest tests (a local cluster, a whole demo, a real webserver, killed runs): their modules are
queued first (`make test`: --dist loadscope --no-loadscope-reorder), so that neither xdist worker ends the
suite alone with one of them."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not any(part in item.nodeid for part in LONG_FIRST))   # stable


def make_settings(data_dir: Path, seed: int = 7, mode: str = "sample") -> SynthSettings:
    return SynthSettings(seed=seed, data_dir=str(data_dir), air_quality_mode=mode)


def make_resources(settings: SynthSettings) -> dict:
    return {"settings": settings, "duckdb": duckdb_resource(settings)}


def sha256_tree(root: Path, pattern: str = "**/*.parquet") -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` matching ``pattern``."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.glob(pattern))}


# Settings fall back to these variables; a developer's shell must not steer the tests.
_SETTINGS_ENV = ("SYNTH_SEED", "SYNTH_DATA_DIR", "SYNTH_AIR_QUALITY_MODE", "SYNTH_CONTENT_USERS", "SYNTH_CONTENT_ITEMS",
                 "SYNTH_CONTENT_ITEMS_AUTO", "DATABASE_URL", "PGDATABASE", "PGSERVICE", "PGOPTIONS")


@pytest.fixture(autouse=True)
def _no_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_definitions_state_storage_left_by_an_earlier_test() -> None:
    """Dagster keeps the entered instance's definitions-state storage in a process-wide context variable; an
    instance left entered, or two exited out of order, leaves it pointing at a disposed instance, and the next
    `Definitions.get_repository_def()` in this worker fails with "undefined DagsterInstance weakref". Each test
    starts with none, as a fresh process does."""
    from dagster._core.storage.defs_state.base import _current_storage

    _current_storage.set(None)


@pytest.fixture
def settings(tmp_path: Path) -> SynthSettings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def resources(settings: SynthSettings) -> dict:
    return make_resources(settings)


@pytest.fixture
def instance():
    """An in-memory instance: runs, events and asset checks as a real instance keeps them, without SQLite
    committing every event (a content seed of 144 days took 18 s on instance_for_test, 5 s here). Tests
    whose processes share an instance make their own persistent one."""
    with dg.DagsterInstance.ephemeral() as test_instance:
        yield test_instance
