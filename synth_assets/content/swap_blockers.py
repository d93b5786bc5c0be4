"""What the live content tables carry that a seed's swap would drop with them (:func:`swap_blockers`).

A swap (:mod:`synth_assets.content.swap_seed`) drops the live tables and moves new ones in their place.
``DROP TABLE`` without CASCADE refuses to drop what depends on a table normally (a view, a foreign key
of another table), but it silently drops what depends on it automatically (a trigger, a policy, an
index, a default) and what the table holds itself (grants, comments, options). So a swap is taken only
when the live tables carry nothing but what the schema (models.py) gives them; else the seed loads in
place. PostgreSQL only.
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint

from synth_assets.content.load import RETIRED_CONSTRAINTS
from synth_assets.content.models import SCHEMA, TABLES
from synth_assets.core.database import Database

_OURS = ("SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
         "WHERE n.nspname = %(schema)s AND c.relname = ANY(%(tables)s)")

# (what is found, a query listing each case as one line of text)
_PROBES = [
    # objects that depend on a live table, other than its row type, its TOAST table, the schema's indexes and
    # constraints (a foreign key between two live tables is one of them) and NOT NULL (a constraint on PG 18)
    ("dependents",
     f"SELECT CASE WHEN d.classid = 'pg_rewrite'::regclass AND r.rulename = '_RETURN' "
     f"THEN format('view %%I.%%I', vn.nspname, v.relname) ELSE pg_describe_object(d.classid, d.objid, d.objsubid) "
     f"END FROM pg_depend d LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid "
     f"LEFT JOIN pg_class v ON v.oid = r.ev_class LEFT JOIN pg_namespace vn ON vn.oid = v.relnamespace "
     f"WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid IN ({_OURS}) AND d.deptype <> 'i' AND NOT ("
     f"(d.classid = 'pg_class'::regclass AND EXISTS (SELECT 1 FROM pg_class x WHERE x.oid = d.objid AND "
     f"(x.relkind = 't' OR (x.relkind = 'i' AND x.relname = ANY(%(indexes)s))))) "
     f"OR (d.classid = 'pg_constraint'::regclass AND EXISTS (SELECT 1 FROM pg_constraint k WHERE "
     f"k.oid = d.objid AND k.conrelid IN ({_OURS}) AND (k.contype = 'n' OR k.conname = ANY(%(constraints)s)))) "
     f"OR d.classid = 'pg_type'::regclass)"),
    ("constraints of the user's own",
     f"SELECT format('constraint %%s on %%s', k.conname, k.conrelid::regclass) FROM pg_constraint k "
     f"WHERE k.conrelid IN ({_OURS}) AND k.contype <> 'n' AND NOT k.conname = ANY(%(constraints)s)"),
    ("indexes of the user's own",
     f"SELECT format('index %%s', i.indexrelid::regclass) FROM pg_index i JOIN pg_class x ON "
     f"x.oid = i.indexrelid WHERE i.indrelid IN ({_OURS}) AND NOT x.relname = ANY(%(indexes)s)"),
    ("columns: added, or with settings of their own",
     f"SELECT format('column %%s.%%I: %%s', a.attrelid::regclass, a.attname, concat_ws(', ', "
     f"CASE WHEN NOT (c.relname || '.' || a.attname) = ANY(%(columns)s) THEN 'not in the schema' END, "
     f"CASE WHEN a.attacl IS NOT NULL THEN 'grants' END, "
     f"CASE WHEN a.attoptions IS NOT NULL THEN 'options' END, "
     f"CASE WHEN coalesce(a.attstattarget, -1) <> -1 THEN 'a statistics target' END, "
     f"CASE WHEN a.attstorage <> t.typstorage THEN 'a storage mode' END, "
     f"CASE WHEN a.attcompression <> '' THEN 'a compression method' END)) "
     f"FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid "
     f"WHERE a.attrelid IN ({_OURS}) AND a.attnum > 0 AND NOT a.attisdropped AND (NOT (c.relname || '.' || "
     f"a.attname) = ANY(%(columns)s) OR a.attacl IS NOT NULL OR a.attoptions IS NOT NULL "
     f"OR coalesce(a.attstattarget, -1) <> -1 OR a.attstorage <> t.typstorage OR a.attcompression <> '')"),
    ("what a table holds itself",
     f"SELECT format('%%s: %%s', c.oid::regclass, concat_ws(', ', "
     f"CASE WHEN c.relacl IS NOT NULL THEN 'grants' END, "
     f"CASE WHEN c.reltablespace <> 0 THEN 'a tablespace of its own' END, "
     f"CASE WHEN c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) "
     f"THEN 'owned by ' || pg_get_userbyid(c.relowner) END, "
     f"CASE WHEN c.relrowsecurity THEN 'row security' END, "
     f"CASE WHEN c.reloptions IS NOT NULL THEN 'storage options' END, "
     f"CASE WHEN c.relpersistence <> 'p' THEN 'not a logged table' END, "
     f"CASE WHEN c.relreplident <> 'd' THEN 'a replica identity' END, "
     f"CASE WHEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisclustered) "
     f"THEN 'a CLUSTER index' END, "
     f"CASE WHEN EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid OR h.inhparent = c.oid) "
     f"THEN 'inheritance or partitions' END)) FROM pg_class c WHERE c.oid IN ({_OURS}) AND (c.relacl IS NOT NULL "
     f"OR c.reltablespace <> 0 OR c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) "
     f"OR c.relrowsecurity OR c.reloptions IS NOT NULL OR c.relpersistence <> 'p' OR c.relreplident <> 'd' "
     f"OR EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisclustered) "
     f"OR EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid OR h.inhparent = c.oid))"),
    # comments on a table, its columns, indexes or constraints, except the schema's own column comments
    ("comments",
     f"SELECT format('comments on %%s', pg_describe_object(e.classoid, e.objoid, e.objsubid)) "
     f"FROM pg_description e LEFT JOIN pg_class c ON e.classoid = 'pg_class'::regclass AND c.oid = e.objoid "
     f"LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = e.objsubid "
     f"WHERE ((e.classoid = 'pg_class'::regclass AND (e.objoid IN ({_OURS}) OR e.objoid IN (SELECT indexrelid "
     f"FROM pg_index WHERE indrelid IN ({_OURS})))) OR (e.classoid = 'pg_constraint'::regclass AND e.objoid IN "
     f"(SELECT oid FROM pg_constraint WHERE conrelid IN ({_OURS})))) "
     f"AND NOT coalesce(c.relname || '.' || a.attname || '=' || e.description = ANY(%(comments)s), false)"),
    ("publications",
     "SELECT format('publication %%I (every table)', pubname) FROM pg_publication WHERE puballtables"),
]
# PostgreSQL 15 on: a publication of every table in a schema
_SCHEMA_PUBLICATIONS = ("SELECT format('publication %%I (the schema)', p.pubname) FROM pg_publication p "
                        "JOIN pg_publication_namespace s ON s.pnpubid = p.oid "
                        "WHERE s.pnnspid = to_regnamespace(%(schema)s)")


def _schema_objects() -> dict[str, list[str]]:
    """The names the schema gives the live tables' indexes, constraints, columns and column comments."""
    tables = TABLES.values()
    keys = {f"{t.name}_pkey" for t in tables}
    unique = {c.name for t in tables for c in t.constraints if isinstance(c, UniqueConstraint)}
    constraints = (keys | {c.name for t in tables for c in t.constraints if c.name}
                   | {name for names in RETIRED_CONSTRAINTS.values() for name in names})  # an older version's
    return {"indexes": sorted(keys | unique | {i.name for t in tables for i in t.indexes}),
            "constraints": sorted(constraints),
            "columns": sorted(f"{t.name}.{c.name}" for t in tables for c in t.columns),
            "comments": sorted(f"{t.name}.{c.name}={c.comment}" for t in tables for c in t.columns if c.comment)}


def swap_blockers(target: Database) -> list[str]:
    """What the live content tables carry that a swap would drop with them, one line each (empty: a swap loses
    nothing). Missing tables carry nothing."""
    params = {"schema": SCHEMA, "tables": list(TABLES), **_schema_objects()}
    queries = [query for _, query in _PROBES]
    if target.scalar("SELECT to_regclass('pg_catalog.pg_publication_namespace') IS NOT NULL"):
        queries.append(_SCHEMA_PUBLICATIONS)
    found: list[str] = []
    with target.connection.cursor() as cursor:
        for query in queries:
            cursor.execute(query, params)
            found += [row[0] for row in cursor.fetchall()]
    return sorted(set(found))
