"""House rule: a generator (pure) module never imports dagster, directly or through core.

Each module is imported in a fresh interpreter (another test's imports cannot hide or cause a hit);
``-X importtime`` prints the import tree, from which a failure names the chain that pulled dagster in.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PURE_MODULES = [
    *(f"synth_assets.air_quality.{name}" for name in (
        "models", "cities", "patterns", "measurements", "effects", "layout",
        "stream.config", "stream.messages", "stream.faults", "stream.landing", "stream.records")),
    *(f"synth_assets.content.{name}" for name in (
        "models", "prompts", "tags", "users", "items", "generation_jobs", "timeline", "allocation", "job_settings",
        "vocabulary", "vocabulary_base", "vocabulary_domains")),
    *(f"synth_assets.smart_home.context.{name}" for name in (
        "models", "local_hours", "weather", "external", "calendar", "carbon", "pricing")),
    *(f"synth_assets.smart_home.{name}" for name in (
        "models", "catalogue", "slugs", "homes", "areas", "devices", "layout", "people", "patterns.models",
        "patterns.co_occurrence", "patterns.chains", "patterns.mine", "patterns.scoring", "patterns.layout",
        "patterns.time_of_day", "patterns.window", "patterns.explain_away", "patterns.thresholds",
        "patterns.state_change_days", "patterns.item_codes", "patterns.mined_rows",
        "events.routines",
        "patterns.automation_links", "patterns.suggestions", "training.prompt_pairs",
        "training.graph", "training.classifier", "patterns.anomalies")),
    *(f"synth_assets.smart_home.events.{name}" for name in (
        "models", "context_ids", "rules", "occupancy", "frame", "log", "sampling", "actuators", "reactions",
        "sensors", "generate", "measure", "carry", "anomalies")),
    *(f"synth_assets.smart_home.export.{name}" for name in (
        "encoding", "registries", "statistics", "recorder", "configuration", "automations", "home_export",
        "automation_events", "descriptions")),
    *(f"synth_assets.core.{name}" for name in (
        "rng", "days", "modes", "bounds", "env", "errors", "ids", "concurrency", "database_guard",
        "calendar", "climate", "sun", "database", "object_store", "files")),
]

FORBIDDEN = "dagster"


def _import_chain(importtime_log: str, target: str) -> list[str]:
    """The chain of imports that led to ``target``, outermost first, from ``-X importtime`` output.

    The log lists a module after the modules it imported (post-order), indented by nesting depth,
    so the importer of a line at depth d is the next line below it at depth d - 1.
    """
    entries = []
    for line in importtime_log.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        name_field = line.rsplit("|", 1)[1]
        name = name_field.strip()
        if name == "package":  # the header line
            continue
        depth = (len(name_field) - len(name_field.lstrip(" ")) - 1) // 2
        entries.append((depth, name))
    start = next((i for i, (_, name) in enumerate(entries) if name == target), None)
    if start is None:
        return []
    chain, depth = [target], entries[start][0]
    for d, name in entries[start + 1:]:
        if d == depth - 1:
            chain.append(name)
            depth = d
        if depth == 0:
            break
    return chain[::-1]


def test_chain_parser_follows_the_nesting():
    log = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:         1 |          1 |       dagster._core",
        "import time:         1 |          2 |     dagster",
        "import time:         1 |          1 |     polars",
        "import time:         1 |          4 |   synth_assets.core.partitions",
        "import time:         1 |          5 | synth_assets.air_quality.measurements",
    ])
    assert _import_chain(log, "dagster") == [
        "synth_assets.air_quality.measurements", "synth_assets.core.partitions", "dagster"]
    assert _import_chain(log, "numpy") == []


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_does_not_import_dagster(module: str):
    code = f"import importlib, sys; importlib.import_module({module!r}); print({FORBIDDEN!r} in sys.modules)"
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, f"importing {module} failed:\n{run.stderr[-3000:]}"
    if run.stdout.strip().splitlines()[-1] == "True":
        chain = _import_chain(run.stderr, FORBIDDEN) or [module, "...", FORBIDDEN]
        pytest.fail(f"{module} imports {FORBIDDEN} (a pure module must not): {' -> '.join(chain)}")


def test_the_package_never_imports_the_tests():
    """The image installs synth_assets without its tests (and without pytest): no module may reach for them."""
    root = Path(__file__).resolve().parents[2] / "synth_assets"
    importers = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            importers += [f"{path.relative_to(root.parent)}: {name}" for name in names
                          if name.split(".")[0] in ("synth_assets_tests", "pytest")]
    assert importers == []
