"""Where content is loaded: the embedded DuckDB file or a PostgreSQL database, behind one interface.

The interface is the core's :class:`synth_assets.core.database.Database`; this module keeps content's
names for it. Checks write their queries once with ``:name`` parameters and a ``{len}`` placeholder
for array length (see :meth:`~synth_assets.core.database.Database.scalar`).
"""

from __future__ import annotations

from synth_assets.core.database import Database as Target
from synth_assets.core.database import open_database as open_target

__all__ = ["Target", "open_target"]
