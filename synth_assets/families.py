"""The dataset families of the code location, one line each.

``definitions.py`` merges each family's ``<package>/definitions.py``, `synth demo` runs each family's
``<package>/demo.py`` in this order, and the README's family table lists them (a test holds it to this
list). A new family is its own package (``definitions.py`` with ``defs``, ``demo.py`` with
``run_demo(settings, log_dir) -> lines``, a data dictionary in ``docs/``) plus one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Family:
    package: str      # synth_assets.<package>, also the asset group and key prefix
    title: str        # as the README's family table names it
    dictionary: str   # the data dictionary, relative to the repository root

    def definitions(self):
        """The family's ``dagster.Definitions``."""
        return importlib.import_module(f"synth_assets.{self.package}.definitions").defs

    def demo(self) -> Callable[..., list[str]]:
        """``run_demo(settings, log_dir) -> lines``: materialize the family's sample, say where it went."""
        return importlib.import_module(f"synth_assets.{self.package}.demo").run_demo

    def dictionary_path(self, root: Path) -> Path:
        return root / self.dictionary


FAMILIES: tuple[Family, ...] = (
    Family("air_quality", "Air quality", "docs/air_quality.md"),
    Family("content", "Content platform seed DB", "docs/content.md"),
    Family("smart_home", "Smart home", "docs/smart_home.md"),
)
