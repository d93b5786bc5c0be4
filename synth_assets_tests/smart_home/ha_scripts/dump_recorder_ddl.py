"""Run in the Home Assistant tool environment: print the recorder's SQLite DDL from its own schema.

``python dump_recorder_ddl.py > synth_assets/smart_home/export/recorder_schema.sql`` regenerates the file
the export creates its database from; test_export_ha.py compares that file's tables with this output.
"""

from importlib.metadata import version

from homeassistant.components.recorder import db_schema
from sqlalchemy import create_engine
from sqlalchemy.schema import CreateIndex, CreateTable


def ddl() -> str:
    engine = create_engine("sqlite://")
    lines = [f"-- Home Assistant {version('homeassistant')} recorder schema (db_schema.SCHEMA_VERSION "
             f"{db_schema.SCHEMA_VERSION}), SQLite dialect,",
             "-- printed from homeassistant.components.recorder.db_schema.Base.metadata by",
             "-- synth_assets_tests/smart_home/ha_scripts/dump_recorder_ddl.py. Do not edit by hand."]
    for table in db_schema.Base.metadata.sorted_tables:
        lines.append(str(CreateTable(table).compile(engine)).strip() + ";")
        lines.extend(str(CreateIndex(index).compile(engine)).strip() + ";"
                     for index in sorted(table.indexes, key=lambda i: i.name))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(ddl(), end="")
