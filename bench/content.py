"""Content benchmarks: generation per table, COPY, seeding end to end, and the seed's own design."""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from synth_assets.content import allocation, generation_jobs, items, users
from synth_assets.content.models import ContentConfig
from synth_assets.content.settings import ContentSettings
from synth_assets.core.resources import SynthSettings


@contextmanager
def postgres_server():
    """A throw-away PostgreSQL cluster (the test fixture's), or None if the server is not installed."""
    from synth_assets_tests.postgres_fixture import find_server_binaries, start_server, stop_server

    binaries = find_server_binaries()
    if binaries is None:
        yield None
        return
    server = start_server(binaries)
    try:
        yield server
    finally:
        stop_server(server)


def _clear_caches() -> None:
    """Forget what a previous config cached (the allocation; vocabulary tables stay, they do not depend on it)."""
    allocation.allocate_content.cache_clear()


def generation(n: int) -> dict[str, dict]:
    """Seconds and rows/s to generate each table at ``n`` rows per table (caches cleared first)."""
    _clear_caches()
    config = ContentConfig(users=n, content_items=n, content_items_auto=n)
    steps = {"users": lambda: users.generate_users(config).frame,
             "content_items": lambda: items.generate_content(config, "content_items").frame,
             "content_items_auto": lambda: items.generate_content(config, "content_items_auto").frame,
             "generation_jobs": lambda: generation_jobs.generate_jobs(config)}
    out = {}
    for table, step in steps.items():
        started = time.perf_counter()
        frame = step()
        seconds = time.perf_counter() - started
        out[table] = {"rows": frame.height, "seconds": seconds, "rows_per_s": frame.height / seconds}
    return out


def copy_rate(server, n: int, table: str) -> dict:
    """COPY of ``n`` generated rows of ``table`` into an empty copy of it without indexes or keys."""
    import psycopg

    from synth_assets.content.load import postgres_ddl
    from synth_assets.core.postgres import copy_arrow, psycopg_conninfo

    config = ContentConfig(users=n, content_items=n, content_items_auto=0)
    frame = users.generate_users(config).frame if table == "users" else items.generate_content(config, table).frame
    url = server.create_database(f"bench_copy_{table}_test")
    with psycopg.connect(psycopg_conninfo(url)) as connection, connection.cursor() as cursor:
        for statement in postgres_ddl():
            cursor.execute(statement)
        cursor.execute(f"CREATE TABLE copy_target (LIKE content.{table})")
        started = time.perf_counter()
        rows = copy_arrow(cursor, "copy_target", frame.to_arrow())
        connection.commit()
        seconds = time.perf_counter() - started
        size = cursor.execute("SELECT pg_total_relation_size('copy_target')").fetchone()[0]
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "mb": size / 1e6}


def seed_end_to_end(n: int, database_url: str | None) -> dict:
    """`synth seed` in process: generate, load and check all four tables at ``n`` rows per table."""
    from synth_assets.content.seed import seed

    _clear_caches()
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        content = ContentSettings(users=n, content_items=n, content_items_auto=n, database_url=database_url)
        started = time.perf_counter()
        reports = seed(content, SynthSettings(data_dir=str(Path(tmp))), echo=lambda *_: None)
        seconds = time.perf_counter() - started
    rows = sum(r.rows for r in reports)
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


def naive(server, n: int) -> dict:
    """The seed's design (Faker row by row + bulk_insert_mappings) on a slice of ``n`` rows per table."""
    from bench.naive_content import run_naive
    from synth_assets.content.load import postgres_ddl
    from synth_assets.core.postgres import create_engine

    url = server.create_database("bench_naive_test")
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in postgres_ddl():
            connection.exec_driver_sql(statement)
    timings = run_naive(engine, n)
    engine.dispose()
    rows = sum(r for r, _ in timings.values())
    seconds = sum(s for _, s in timings.values())
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}

