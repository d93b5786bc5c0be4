"""Smart-home dimension assets: homes -> areas -> devices -> entities (unpartitioned).

Each reads its parents' files (refused if made with another seed or config), calls its generator,
checks the rows, writes one Parquet file and (re)creates its DuckDB view ``smart_home.<table>``.
"""

import dagster as dg
import polars as pl

from synth_assets.air_quality.cities import select_cities
from synth_assets.core import metadata as md
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import write_parquet_atomic
from synth_assets.smart_home import layout
from synth_assets.smart_home.areas import generate_areas
from synth_assets.smart_home.checks import check_specs, evaluate
from synth_assets.smart_home.devices import generate_devices, generate_entities
from synth_assets.smart_home.homes import generate_homes
from synth_assets.smart_home.models import TABLE_SCHEMAS, SmartHomeConfig
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.views import publish_view

GROUP = layout.FAMILY
CITY_MODE = "full"  # homes are placed in the 300 real cities
KEYS = {table: dg.AssetKey([GROUP, table]) for table in layout.DIMENSION_TABLES}
DESCRIPTIONS = {
    "homes": "Homes of four types (apartment, townhouse, single family, large smart home) in the 300 air-quality "
             "cities, with timezone, coordinates, hemisphere, occupants and their routines.",
    "areas": "Rooms and outdoor spaces per home, by home type and household; area_id is Home Assistant's slug.",
    "devices": "Devices per area from a catalogue of real products (manufacturer, model, integration), plus one "
               "phone per occupant.",
    "entities": "Home Assistant entities (domain, device class, unit) of every device and person; entity_id "
                "unique within a home, made with Home Assistant's slug and _2 rules.",
}


def _publish(context: dg.AssetExecutionContext, settings: SynthSettings, config: SmartHomeConfig, table: str,
             frame: pl.DataFrame, parents: dict[str, pl.DataFrame], **extra: object) -> dg.MaterializeResult:
    results = evaluate(table, frame, parents)
    schema, identity = TABLE_SCHEMAS[table], layout.table_identity(table, config)
    path = layout.table_path(settings.data_path, table)
    written = write_parquet_atomic(frame.to_arrow(), path, schema=schema, identity=identity)
    view = publish_view(settings, table, path, expected=schema, identity=identity, fix=layout.remake_hint(table))
    context.log.info(f"smart_home.{table}: {written.rows:,} rows -> {path}")
    return dg.MaterializeResult(
        metadata={**md.table_metadata(schema, written.rows, frame.head(8)), "path": str(path),
                  "table": f"{GROUP}.{table}", "duckdb_view": view, **extra},
        check_results=results)


def _parent(settings: SynthSettings, config: SmartHomeConfig, table: str) -> pl.DataFrame:
    return layout.read_made(settings.data_path, table, config)


def per_home_by_type(rows: pl.DataFrame, homes: pl.DataFrame, what: str) -> dg.MarkdownMetadataValue:
    """Rows per home, by home type: min / median / mean / max, as a markdown table."""
    counts = (homes.select("home_id", "home_type").join(rows.group_by("home_id").len(), on="home_id", how="left")
              .with_columns(pl.col("len").fill_null(0))
              .group_by("home_type").agg(homes=pl.len(), min=pl.col("len").min(), median=pl.col("len").median(),
                                         mean=pl.col("len").mean().round(1), max=pl.col("len").max())
              .sort("home_type"))
    return md.markdown_preview(counts.rename({"min": f"min {what}", "max": f"max {what}"}), rows=10)


@dg.asset(key=KEYS["homes"], group_name=GROUP, kinds={"polars", "parquet", "duckdb"}, pool="duckdb",
          check_specs=check_specs("homes", KEYS["homes"]), description=DESCRIPTIONS["homes"])
def homes(context: dg.AssetExecutionContext, settings: SynthSettings, smart_home: SmartHomeSettings):
    config = smart_home.config(settings.seed)
    frame = generate_homes(config, select_cities(CITY_MODE))
    return _publish(context, settings, config, "homes", frame, {"homes": frame},
                    homes_by_type=md.markdown_preview(frame.group_by("home_type").len().sort("home_type")))


@dg.asset(key=KEYS["areas"], group_name=GROUP, kinds={"polars", "parquet", "duckdb"}, pool="duckdb",
          deps=[KEYS["homes"]], check_specs=check_specs("areas", KEYS["areas"]), description=DESCRIPTIONS["areas"])
def areas(context: dg.AssetExecutionContext, settings: SynthSettings, smart_home: SmartHomeSettings):
    config = smart_home.config(settings.seed)
    home_rows = _parent(settings, config, "homes")
    frame = generate_areas(config.seed, home_rows)
    return _publish(context, settings, config, "areas", frame, {"homes": home_rows},
                    areas_per_home_by_type=per_home_by_type(frame, home_rows, "areas"))


@dg.asset(key=KEYS["devices"], group_name=GROUP, kinds={"polars", "parquet", "duckdb"}, pool="duckdb",
          deps=[KEYS["areas"]], check_specs=check_specs("devices", KEYS["devices"]),
          description=DESCRIPTIONS["devices"])
def devices(context: dg.AssetExecutionContext, settings: SynthSettings, smart_home: SmartHomeSettings):
    config = smart_home.config(settings.seed)
    home_rows, area_rows = _parent(settings, config, "homes"), _parent(settings, config, "areas")
    frame = generate_devices(config.seed, home_rows, area_rows)
    return _publish(context, settings, config, "devices", frame, {"homes": home_rows, "areas": area_rows},
                    devices_per_home_by_type=per_home_by_type(frame, home_rows, "devices"))


@dg.asset(key=KEYS["entities"], group_name=GROUP, kinds={"polars", "parquet", "duckdb"}, pool="duckdb",
          deps=[KEYS["devices"]], check_specs=check_specs("entities", KEYS["entities"]),
          description=DESCRIPTIONS["entities"])
def entities(context: dg.AssetExecutionContext, settings: SynthSettings, smart_home: SmartHomeSettings):
    config = smart_home.config(settings.seed)
    parents = {table: _parent(settings, config, table) for table in ("homes", "areas", "devices")}
    frame = generate_entities(parents["homes"], parents["devices"])
    return _publish(context, settings, config, "entities", frame, parents,
                    entities_per_home_by_type=per_home_by_type(frame, parents["homes"], "entities"),
                    entities_by_domain=md.markdown_preview(
                        frame.group_by("domain").len().sort("len", descending=True), rows=20))


DIMENSION_ASSETS = [homes, areas, devices, entities]
