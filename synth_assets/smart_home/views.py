"""The DuckDB views ``smart_home.<table>`` over the family's Parquet files, one helper for every asset.

On local disk the view is (re)made over the files, each file's footer checked first (core.storage).
Over an ``s3://`` data directory no view is made, as for air quality: DuckDB would need its httpfs
extension, which this DuckDB cannot load here (core.object_store.duckdb_views_problem says why); the run
logs that reason as a warning and the asset puts it in its ``duckdb_view`` metadata. The files are written
and checked all the same.
"""

from __future__ import annotations

import dagster as dg
import pyarrow as pa

from synth_assets.core import object_store
from synth_assets.core.identity import FileIdentity
from synth_assets.core.object_store import Location
from synth_assets.core.resources import SynthSettings, duckdb_resource
from synth_assets.core.storage import create_parquet_view
from synth_assets.smart_home.layout import FAMILY


def publish_view(settings: SynthSettings, table: str, files: Location, *, expected: pa.Schema,
                 identity: FileIdentity, fix: str) -> str:
    """(Re)make the view ``smart_home.<table>`` over ``files`` (a file or a glob); returns what to show as the
    asset's ``duckdb_view`` metadata: where the view is, or why none was made."""
    problem = object_store.duckdb_views_problem(settings.data_path)
    if problem:
        dg.get_dagster_logger().warning(f"{problem} ({FAMILY}.{table})")
        return problem
    with duckdb_resource(settings).get_connection() as connection:
        create_parquet_view(connection, FAMILY, table, files, expected=expected, identity=identity, fix=fix)
    return f"{FAMILY}.{table} in {settings.duckdb_path}"
