"""`synth seed` into PostgreSQL loads new tables beside the live ones and swaps them in; it loads in place
where a swap would drop objects of the user's own. Both give the same rows, keys and checks."""

from __future__ import annotations

import psycopg
import pytest

from synth_assets.content import swap_seed
from synth_assets.content.load import postgres_ddl
from synth_assets.content.models import LOAD_ORDER, SCHEMA
from synth_assets.content.seed import SeedCheckFailed, seed
from synth_assets.content.settings import ContentSettings
from synth_assets.content.swap_blockers import swap_blockers
from synth_assets.content.swap_seed import STAGING, SeedBusy
from synth_assets.core.database import open_postgres
from synth_assets.core.postgres import psycopg_conninfo
from synth_assets_tests.conftest import make_settings

SMALL = dict(users=400, content_items=250, content_items_auto=150)


def _seed(url: str, tmp_path, seed_value: int = 1, **overrides) -> list[str]:
    lines: list[str] = []
    seed(ContentSettings(seed=seed_value, **{**SMALL, **overrides}, database_url=url),
         make_settings(tmp_path / "data"), echo=lines.append)
    return lines


def _query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(psycopg_conninfo(url)) as connection:
        return connection.execute(sql).fetchall()


def _rows_digest(url: str) -> dict[str, tuple]:
    """Every column of every row, per table (order-independent)."""
    return {table: _query(url, f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t.id)) "
                               f"FROM {SCHEMA}.{table} t")[0] for table in LOAD_ORDER}


def _catalogue(url: str) -> set[tuple]:
    """The content tables' columns (type, nullability, default), constraints (name, kind, definition, deferral)
    and indexes (name, definition)."""
    columns = _query(url, "SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, "
                          "column_default, character_maximum_length FROM information_schema.columns "
                          f"WHERE table_schema = '{SCHEMA}'")
    constraints = _query(url, "SELECT conname, contype, pg_get_constraintdef(oid), condeferrable, condeferred "
                              f"FROM pg_constraint WHERE connamespace = '{SCHEMA}'::regnamespace")
    indexes = _query(url, f"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = '{SCHEMA}'")
    return set(columns) | set(constraints) | set(indexes)


def _oids(url: str) -> list[int]:
    return [_query(url, f"SELECT to_regclass('{SCHEMA}.{table}')::oid")[0][0] for table in LOAD_ORDER]


def test_a_swap_and_a_load_in_place_give_the_same_rows_keys_and_indexes(tmp_path, postgres_server):
    """The swapped tables equal those of the schema's own DDL (what every partition load creates), loaded in
    place: columns, constraints, indexes and rows."""
    swapped, in_place = (postgres_server.create_database(f"swap_{k}_test") for k in ("a", "b"))
    try:
        _seed(swapped, tmp_path, seed_value=5)
        first = _oids(swapped)
        with psycopg.connect(psycopg_conninfo(in_place), autocommit=True) as connection:
            for statement in postgres_ddl():  # as a Dagster partition load makes them
                connection.execute(statement)
        with open_postgres(in_place) as target:
            assert swap_blockers(target) == []  # the schema's own DDL carries nothing a swap would lose
        with psycopg.connect(psycopg_conninfo(in_place), autocommit=True) as connection:  # forces a load in place
            connection.execute(f"CREATE VIEW public.active_users AS SELECT id FROM {SCHEMA}.users WHERE is_active")

        lines_swapped = _seed(swapped, tmp_path, seed_value=2)
        lines_in_place = _seed(in_place, tmp_path, seed_value=2)

        assert any("swapping the new tables in" in line for line in lines_swapped)
        assert not any("loading in place" in line for line in lines_swapped)
        assert any("loading in place" in line and "view public.active_users" in line for line in lines_in_place)
        assert all(old != new for old, new in zip(first, _oids(swapped), strict=True))  # new tables
        assert _rows_digest(swapped) == _rows_digest(in_place)
        assert _catalogue(swapped) == _catalogue(in_place)
        assert _query(swapped, f"SELECT to_regnamespace('{STAGING}')") == [(None,)]  # nothing left behind
        assert _query(in_place, "SELECT count(*) FROM public.active_users")[0][0] > 0  # the view still works
        frozen = _query(swapped, f"SELECT relallvisible > 0 AND relallvisible = relpages FROM pg_class "
                                 f"WHERE oid = '{SCHEMA}.generation_jobs'::regclass")
        assert frozen == [(True,)]  # COPY FREEZE: every page all-visible
    finally:
        for url in (swapped, in_place):
            postgres_server.drop_database(url.rsplit("/", 1)[1])


OWN_OBJECTS = [  # (statement, how swap_blockers names it)
    ("GRANT SELECT ON content.users TO PUBLIC", "content.users: grants"),
    ("CREATE INDEX my_index ON content.content_items (title)", "index content.my_index"),
    ("COMMENT ON COLUMN content.users.email IS 'work email'", "comments on column email of table content.users"),
    ("CREATE FUNCTION public.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; "
     "CREATE TRIGGER my_trigger BEFORE INSERT ON content.users FOR EACH ROW EXECUTE FUNCTION public.noop()",
     "trigger my_trigger on table content.users"),
    ("ALTER TABLE content.generation_jobs SET (fillfactor = 90)", "content.generation_jobs: storage options"),
    ("ALTER TABLE content.users ALTER COLUMN is_active SET DEFAULT true", "default value for column is_active"),
    ("ALTER TABLE content.users ADD COLUMN nickname text", "column content.users.nickname: not in the schema"),
    ("ALTER TABLE content.users ALTER COLUMN email SET STATISTICS 500",
     "column content.users.email: a statistics target"),
    ("ALTER TABLE content.users REPLICA IDENTITY FULL", "content.users: a replica identity"),
    ("COMMENT ON INDEX content.ix_users_created_at IS 'by time'", "comments on index content.ix_users_created_at"),
    ("CREATE PUBLICATION every_table FOR ALL TABLES", "publication every_table (every table)"),
    ("CREATE PUBLICATION content_schema FOR TABLES IN SCHEMA content", "publication content_schema (the schema)"),
    ("CREATE TABLE public.likes (user_id uuid REFERENCES content.users (id))", "constraint likes_user_id_fkey"),
]


def test_what_a_swap_would_drop_is_named_one_by_one(tmp_path, fresh_database):
    _seed(fresh_database, tmp_path)
    with open_postgres(fresh_database) as target:
        assert swap_blockers(target) == []
        for statement, named in OWN_OBJECTS:
            with target.connection.transaction():  # each alone, rolled back after the look
                target.execute(statement)
                found = swap_blockers(target)
                raise psycopg.Rollback
            assert len(found) == 1 and named in found[0], (named, found)
        assert swap_blockers(target) == []


def test_the_schemas_own_column_comments_are_not_the_users(tmp_path, fresh_database):
    _seed(fresh_database, tmp_path)
    with open_postgres(fresh_database) as target:
        target.execute("COMMENT ON COLUMN content.content_items.content_data IS 'image path'")  # as models.py says
        assert swap_blockers(target) == []
        target.execute("COMMENT ON COLUMN content.content_items.content_data IS 'where the image is'")
        assert swap_blockers(target) == ["comments on column content_data of table content.content_items"]


def test_objects_of_the_users_own_make_the_seed_load_in_place_and_stay(tmp_path, fresh_database):
    _seed(fresh_database, tmp_path)
    with open_postgres(fresh_database) as target:
        for statement, _ in OWN_OBJECTS[:5]:  # a foreign key from another table would stop even a TRUNCATE
            target.execute(statement)
        kept = swap_blockers(target)
    oids, before = _oids(fresh_database), _rows_digest(fresh_database)

    lines = _seed(fresh_database, tmp_path, seed_value=3)

    assert any("loading in place" in line for line in lines)
    assert not any("swapping the new tables in" in line for line in lines)
    assert _oids(fresh_database) == oids and _rows_digest(fresh_database) != before  # same tables, new rows
    with open_postgres(fresh_database) as target:
        assert swap_blockers(target) == kept  # what the user added is still there


def test_what_a_stopped_seed_left_is_dropped_by_the_next(tmp_path, fresh_database):
    _seed(fresh_database, tmp_path)
    before = _rows_digest(fresh_database)
    with psycopg.connect(psycopg_conninfo(fresh_database), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{STAGING}"')  # as a seed killed half-way leaves it
        connection.execute(f'CREATE TABLE "{STAGING}".users (id int)')
    assert _rows_digest(fresh_database) == before
    _seed(fresh_database, tmp_path, seed_value=4)
    assert _query(fresh_database, f"SELECT to_regnamespace('{STAGING}')") == [(None,)]
    assert _rows_digest(fresh_database) != before


def test_a_second_seed_of_the_same_database_is_refused_while_one_runs(tmp_path, fresh_database):
    _seed(fresh_database, tmp_path)
    before = _rows_digest(fresh_database)
    with psycopg.connect(psycopg_conninfo(fresh_database), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext('synth_assets.content.seed'))")  # a seed under way
        with pytest.raises(SeedBusy, match="another `synth seed` is loading this database; nothing was changed"):
            _seed(fresh_database, tmp_path, seed_value=2)
    assert _rows_digest(fresh_database) == before


def test_a_failing_check_keeps_the_live_tables_and_drops_the_staged_ones(tmp_path, fresh_database, monkeypatch):
    _seed(fresh_database, tmp_path)
    before, oids = _rows_digest(fresh_database), _oids(fresh_database)
    real = swap_seed.verifier

    def verifier_with_a_broken_row(table, config, db, *args):
        verify = real(table, config, db, *args)
        if table != "content_items":
            return verify

        def broken():  # an item with more tags than allowed (only the content_items' checks read tags)
            db.execute(f'UPDATE "{STAGING}".content_items SET tags = array_fill(CAST(\'x\' AS varchar), '
                       f'ARRAY[201]) WHERE id IN (SELECT id FROM "{STAGING}".content_items LIMIT 1)')
            return verify()
        return broken

    monkeypatch.setattr(swap_seed, "verifier", verifier_with_a_broken_row)
    with pytest.raises(SeedCheckFailed, match="content_items: checks failed: tag_count_in_range"):
        _seed(fresh_database, tmp_path, seed_value=6)
    assert _rows_digest(fresh_database) == before and _oids(fresh_database) == oids
    assert _query(fresh_database, f"SELECT to_regnamespace('{STAGING}')") == [(None,)]


def test_a_failing_loader_stops_the_other(tmp_path, fresh_database, monkeypatch):
    """The users' loader fails while the other loader waits for the users: the seed raises the first error."""
    _seed(fresh_database, tmp_path)
    before = _rows_digest(fresh_database)
    real = swap_seed._load

    def load(db, shared, table, *args):
        if table == "users":
            raise OSError("disk gone")
        return real(db, shared, table, *args)

    monkeypatch.setattr(swap_seed, "_load", load)
    with pytest.raises(OSError, match="disk gone"):
        _seed(fresh_database, tmp_path, seed_value=7)
    assert _rows_digest(fresh_database) == before
    assert _query(fresh_database, f"SELECT to_regnamespace('{STAGING}')") == [(None,)]
