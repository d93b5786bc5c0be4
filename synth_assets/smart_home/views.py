"""The DuckDB views ``smart_home.<table>`` over the family's Parquet files, one helper for every asset.

On local disk the view is (re)made over the files, each file's footer checked first (core.storage).
Over an ``s3://`` data directory no view is made, as for air quality: DuckDB would need its httpfs
extension, which this DuckDB cannot load here (core.object_store.duckdb_views_problem says why); the run
logs that reason as a warning and the asset puts it in its ``duckdb_view`` metadata. The files are written
and checked all the same.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pyarrow as pa

from synth_assets.core import object_store
from synth_assets.core.database import connect_duckdb
from synth_assets.core.identity import FileIdentity
from synth_assets.core.object_store import Location
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import create_parquet_view
from synth_assets.smart_home.layout import FAMILY

VIEW_WAIT_SECONDS = 120.0
"""How long a view waits for the DuckDB file another process writes (a multi_run chunk of events making its
view, a content load) before the run goes on without remaking it."""


def publish_view(settings: SynthSettings, table: str, files: Location, *, expected: pa.Schema,
                 identity: FileIdentity, fix: str) -> str:
    """(Re)make the view ``smart_home.<table>`` over ``files`` (a file or a glob); returns what to show as the
    asset's ``duckdb_view`` metadata: where the view is, or why none was made."""
    problem = object_store.duckdb_views_problem(settings.data_path)
    if problem:
        dg.get_dagster_logger().warning(f"{problem} ({FAMILY}.{table})")
        return problem
    try:
        database = connect_duckdb(settings.duckdb_path, wait_seconds=VIEW_WAIT_SECONDS)
    except duckdb.IOException as busy:   # held longer (a big content seed): the files stay written, the run succeeds
        said = (f"the view {FAMILY}.{table} was not remade: {settings.duckdb_path} stayed held by another process "
                f"for {VIEW_WAIT_SECONDS:.0f} s ({busy}). The files are written and checked; a view that exists "
                f"already reads every file of its glob, new days included. Fix (for a new view): re-materialize "
                f"this asset when the file is free")
        dg.get_dagster_logger().warning(said)
        return said
    try:
        create_parquet_view(database, FAMILY, table, files, expected=expected, identity=identity, fix=fix)
    finally:
        database.close()
    return f"{FAMILY}.{table} in {settings.duckdb_path}"
