"""Content benchmarks: generation per table, COPY, seeding end to end, and the seed's own design."""

from __future__ import annotations

import os
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
    from synth_assets.core.throwaway_postgres import find_server_binaries, start_server, stop_server

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


def server_cpu_seconds(server) -> float:
    """CPU seconds the throw-away server has used so far: the postmaster, its ended children (backends,
    parallel workers) and its running ones (checkpointer, WAL writer...), from Linux's /proc."""
    ticks = os.sysconf("SC_CLK_TCK")

    def fields(pid: int | str) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    total = sum(int(f) for f in fields(postmaster)[11:15])  # utime, stime, cutime, cstime
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = fields(pid)
        except OSError:  # ended meanwhile
            continue
        if int(stat[1]) == postmaster:
            total += int(stat[11]) + int(stat[12])
    return total / ticks


def seed_end_to_end(n: int, database_url: str | None, server=None) -> dict:
    """`synth seed` in process: generate, load and check all four tables at ``n`` rows per table.

    Also the CPU seconds of this process (generation, encoding; ``client_cpu_s``) and, given the local
    ``server``, of the PostgreSQL server (COPY, index builds, constraint validation, checks; ``server_cpu_s``):
    on a machine shared with other work they say more than the wall time."""
    from synth_assets.content.seed import seed

    _clear_caches()
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        content = ContentSettings(users=n, content_items=n, content_items_auto=n, database_url=database_url)
        server_before = server_cpu_seconds(server) if server is not None else 0.0
        client_before = time.process_time()
        started = time.perf_counter()
        reports = seed(content, SynthSettings(data_dir=str(Path(tmp))), echo=lambda *_: None)
        seconds = time.perf_counter() - started
        client = time.process_time() - client_before
        time.sleep(0.2)  # the backend's exit, so the postmaster has counted its CPU
        server_cpu = server_cpu_seconds(server) - server_before if server is not None else None
    rows = sum(r.rows for r in reports)
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "client_cpu_s": client,
            "server_cpu_s": server_cpu}


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



def _generate_all(config: ContentConfig, first=None, last=None) -> int:
    """Every table of the days ``first``..``last`` (default: all), each day standing alone (as a partition
    run does: the jobs recompute their items' texts). Returns the rows generated."""
    rows = users.generate_users(config, first, last).frame.height
    for table in ("content_items", "content_items_auto"):
        rows += items.generate_content(config, table, first, last).frame.height
    return rows + generation_jobs.generate_jobs(config, first, last).height


def day_against_range(n: int, days: tuple[str, ...] = ("2025-07-01", "2025-09-21")) -> list[dict]:
    """One day of every table at ``n`` rows per table against its share of the whole range.

    The share is the range's time times the day's part of the rows. Vocabulary tables (prompt phrases,
    tag pool) are built once before timing; the allocation is recomputed for each measurement."""
    from datetime import date

    from synth_assets.content.prompts import build_prompts
    from synth_assets.content.tags import build_tags
    from synth_assets.core.rng import rng_for

    config = ContentConfig(users=n, content_items=n, content_items_auto=n)
    build_prompts(rng_for(0, "warm-up"), 10), build_tags(rng_for(0, "warm-up"), 10, config.tag_pool_size)
    _clear_caches()
    started = time.perf_counter()
    total_rows = _generate_all(config)
    range_seconds = time.perf_counter() - started
    out = []
    for text in days:
        day = date.fromisoformat(text)
        _clear_caches()
        started = time.perf_counter()
        rows = _generate_all(config, day, day)
        seconds = time.perf_counter() - started
        share = range_seconds * rows / total_rows
        out.append({"day": text, "rows": rows, "seconds": seconds, "rows_per_s": rows / seconds,
                    "share_seconds": share, "ratio": seconds / share, "range_seconds": range_seconds,
                    "range_rows": total_rows})
    return out
