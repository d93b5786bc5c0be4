"""The family registry (definitions.py, synth demo, README read one list) and what is read at import."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from synth_assets.deployment import content_days
from synth_assets.families import FAMILIES

ROOT = Path(__file__).resolve().parents[2]


def test_the_code_location_is_exactly_the_registered_families():
    from synth_assets.definitions import defs

    groups = {key.path[0] for key in defs.resolve_all_asset_keys()}
    assert groups == {family.package for family in FAMILIES}
    for family in FAMILIES:
        own = {key for asset in family.definitions().assets for key in asset.keys}
        assert own and own <= set(defs.resolve_all_asset_keys())
        assert callable(family.demo())


def test_the_readme_family_table_lists_every_registered_family_with_its_dictionary():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Families", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| \*\*(.+?)\*\* \(\[data dictionary\]\((.+?)\)\) \| (\w+)", table, flags=re.M)
    assert [(title, path) for title, path, _ in listed] == [(f.title, f.dictionary) for f in FAMILIES]
    for family in FAMILIES:
        assert family.dictionary_path(ROOT).is_file()


def test_the_code_location_loads_without_reading_run_settings_from_the_environment(tmp_path):
    """Bad run settings do not stop the code location from loading; the run that uses them says what is wrong."""
    env = {**os.environ, "SYNTH_SEED": "forty-two", "SYNTH_AIR_QUALITY_MODE": "huge", "SYNTH_CONTENT_USERS": "many",
           "SYNTH_DATA_DIR": str(tmp_path / "never_made"), "DATABASE_URL": "postgresql://x@nowhere/prod"}
    done = subprocess.run([sys.executable, "-c", "import synth_assets.definitions as d; "
                                                 "print(len(list(d.defs.resolve_all_asset_keys())))"],
                          env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) >= 8
    assert not (tmp_path / "never_made").exists()


def test_content_days_come_from_the_environment_and_bad_values_name_the_variable():
    assert content_days({"SYNTH_CONTENT_START": "2024-03-01", "SYNTH_CONTENT_END": "2024-03-05"}) == (
        date(2024, 3, 1), date(2024, 3, 5))
    with pytest.raises(ValueError, match="SYNTH_CONTENT_START/END must be YYYY-MM-DD"):
        content_days({"SYNTH_CONTENT_START": "March"})
    with pytest.raises(ValueError, match="SYNTH_CONTENT_END 2024-01-01 is before SYNTH_CONTENT_START 2024-02-01"):
        content_days({"SYNTH_CONTENT_START": "2024-02-01", "SYNTH_CONTENT_END": "2024-01-01"})


def test_only_deployment_reads_the_environment_at_module_level():
    """Module-level code (outside functions) of the package never touches os.environ, except deployment.py."""
    import ast

    offenders = []
    for path in sorted((ROOT / "synth_assets").rglob("*.py")):
        tree = ast.parse(path.read_text())
        top = [node for node in tree.body if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
        for statement in top:
            nested = [statement] if not isinstance(statement, ast.ClassDef) else [
                n for n in statement.body if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
            for node in (n for s in nested for n in ast.walk(s)):
                if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                        getattr(node.value, "id", None) == "os":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
    text = (ROOT / "synth_assets" / "deployment.py").read_text()
    assert "os.environ" in text  # the one place, inside its function
