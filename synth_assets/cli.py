"""`synth`: the command-line verbs of the seeds. Thin: every verb runs the project's Dagster assets.

    synth demo                              a sample of every family into data/
    synth generate-data --mode sample|full  air quality, 2020-01-01 .. 2024-12-31
    synth seed [--database-url URL]         the content-platform seed database
    synth stream --mode development         live sensor messages (see synth stream --help)
    synth runs list|trigger|delete          training runs through the Dagster webserver's GraphQL API
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from datetime import timedelta
from pathlib import Path

warnings.filterwarnings("ignore", message=".*is currently in (beta|preview)")

from synth_assets.air_quality import demo as aq_demo
from synth_assets.air_quality import generate_data_command as aq_generate
from synth_assets.air_quality import layout as aq_layout
from synth_assets.air_quality.models import DEFAULT_RANGE
from synth_assets.core.errors import explain
from synth_assets.core.object_store import S3Path, check_reachable, is_object_url
from synth_assets.core.resources import AIR_QUALITY_MODES, SynthSettings
from synth_assets.core.run_worker import run_config_from_json
from synth_assets.core.runner import Interrupted, StepFailed

LOG_DIR_NAME = "logs"
LOG_DIR_VARIABLE = "SYNTH_LOG_DIR"


def _settings() -> SynthSettings:
    return SynthSettings.from_env()


def log_dir(settings: SynthSettings) -> Path:
    """Where the verbs keep their runs' logs: ``$SYNTH_LOG_DIR``, else ``logs/`` beside the DuckDB file, which is
    ``<data_dir>/logs`` on local disk and ``./data/logs`` of the working directory when the data is on S3."""
    given = os.environ.get(LOG_DIR_VARIABLE)
    if given and is_object_url(given):
        raise ValueError(f"{LOG_DIR_VARIABLE}={given}: the run logs are written as they run, so they need a local "
                         f"directory; the data directory may be on S3")
    return Path(given).resolve() if given else settings.duckdb_path.parent / LOG_DIR_NAME


def _check_data_dir(settings: SynthSettings) -> None:
    """An S3 data directory this process cannot use is refused before any run starts (as each run checks it)."""
    if isinstance(settings.data_path, S3Path):
        check_reachable(settings.data_path)


def cmd_generate_data(args: argparse.Namespace) -> int:
    start, last = aq_generate.parse_day(args.start), aq_generate.parse_day(args.end)
    end = last + timedelta(days=1)
    run_config = run_config_from_json(args.config_json) if args.config_json else {}
    aq_generate.check_request(args.mode, start, end)  # refused before anything runs
    # the run config's settings override the environment's, for the runs and for what this verb reports
    given = run_config.get("resources", {}).get("settings", {}).get("config", {})
    if given.get("air_quality_mode") not in (None, args.mode):
        raise ValueError(f"--mode {args.mode} and run config air_quality_mode {given['air_quality_mode']!r} "
                         f"disagree; give the mode once, with --mode")
    settings = SynthSettings(**{**given, "air_quality_mode": args.mode})
    _check_data_dir(settings)
    print(f"air quality, mode {args.mode}, {start} .. {last}, "
          f"seed {settings.seed}, into {settings.data_path}, run logs in {log_dir(settings)}")
    summary = aq_generate.generate(args.mode, start, end, settings.data_path, settings.seed,
                                   log_dir(settings), run_config or None)
    print(*summary.lines("air quality"), sep="\n")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from synth_assets.families import FAMILIES

    settings = _settings()
    _check_data_dir(settings)
    print(f"synth_assets demo: a sample of every family into {settings.data_path} (seed {settings.seed}), "
          f"run logs in {log_dir(settings)}")
    lines = []
    for family in FAMILIES:
        print(f"\n{family.title}")
        lines += ["", *family.demo()(settings, log_dir(settings))]
    groups = ", ".join(family.package for family in FAMILIES)
    print(*lines, sep="\n")
    if isinstance(settings.data_path, S3Path):  # no DuckDB views over s3:// here (docs/scale-out.md)
        years = aq_layout.yearly_glob(settings.data_path, aq_demo.MODE)
        query = (f"import polars as pl; print(pl.read_parquet('{years}')"
                 f".group_by('city_name').agg(pl.col('pm25').mean()).sort('pm25', descending=True))")
        print(f"\nThe files are objects under {settings.data_path}: no DuckDB views over s3:// (docs/scale-out.md, "
              f"'DuckDB over S3'); the content tables are in {settings.duckdb_path}.")
    else:
        query = (f"import duckdb; print(duckdb.connect('{settings.duckdb_path}', read_only=True).sql("
                 f"'select city_name, avg(pm25) from air_quality.measurements group by all order by 2 desc'))")
    print(f'\nQuery it:   .venv/bin/python -c "{query}"')
    print(f"Open the UI: make ui   (then http://localhost:3000, asset groups {groups})")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from synth_assets.content.seed import seed
    from synth_assets.content.settings import ContentSettings
    from synth_assets.deployment import content_days

    first, last = content_days()
    days = (aq_generate.parse_day(args.start) if args.start else first,
            aq_generate.parse_day(args.end) if args.end else last)
    given = {k: v for k, v in dict(users=args.users, content_items=args.items, content_items_auto=args.items_auto,
                                   database_url=args.database_url).items() if v is not None}
    content = ContentSettings(**given)  # what is not given comes from the environment
    settings = SynthSettings(**({} if args.seed is None else {"seed": args.seed}))  # --seed, else SYNTH_SEED
    if args.lock_timeout is not None and args.lock_timeout < 0:
        raise ValueError(f"--lock-timeout {args.lock_timeout}: give the seconds to wait, 0 or more")
    seed(content, settings, days=days,
         **({} if args.lock_timeout is None else {"lock_timeout_seconds": args.lock_timeout}))
    return 0


def cmd_stream(args: argparse.Namespace) -> int:
    import signal
    import threading
    from datetime import datetime, timezone

    from synth_assets.air_quality.cities import select_cities
    from synth_assets.air_quality.stream.config import StreamConfig
    from synth_assets.air_quality.stream.records import SinkError
    from synth_assets.air_quality.stream.simulator import run
    from synth_assets.air_quality.stream.sinks import make_sink, run_label

    start = None
    if args.start:
        start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
        start = start if start.tzinfo else start.replace(tzinfo=timezone.utc)
    settings = _settings()
    seed = settings.seed if args.seed is None else args.seed  # --seed, else SYNTH_SEED, else 42
    fields = dict(mode=args.mode, sensors=args.sensors, rate=args.rate, duration=args.duration, count=args.count,
                  seed=seed, start=start, speedup=args.speedup, drop_rate=args.drop_rate,
                  duplicate_rate=args.duplicate_rate, malformed_rate=args.malformed_rate)
    config = StreamConfig(**{k: v for k, v in fields.items() if v is not None})
    aws = {k: v for k, v in dict(endpoint_url=args.endpoint_url, region=args.region).items() if v}
    try:  # the sink's own message (what it tried, for how long) says more than its cause's
        sink = make_sink(args.sink, settings.duckdb_path, args.database_url or os.environ.get("DATABASE_URL"), aws,
                         run=run_label(config.start or datetime.now(timezone.utc), config.seed))
    except SinkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"streaming {config.sensor_count} sensors at {config.message_rate:g} msg/s"
          f"{f' x{config.speedup:g} from {config.start:%Y-%m-%d %H:%M}Z' if config.start else ''} to {sink.name}"
          f" (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        totals = run(config, select_cities("full"), sink, stop)
    except SinkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(totals.summary(), file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="synth", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="materialize a sample of every family into data/")
    demo.set_defaults(handler=cmd_demo)
    generate = commands.add_parser(
        "generate-data", help="materialize the air-quality family for a mode",
        description="City profiles, hourly measurements (one run over the range) and yearly files, "
                    "through `dagster asset materialize`. Seed and output dir: SYNTH_SEED, SYNTH_DATA_DIR.")
    generate.add_argument("--mode", choices=AIR_QUALITY_MODES, default="sample",
                          help="sample: the seed's 10 cities; full: 300 real cities")
    generate.add_argument("--start", default=f"{DEFAULT_RANGE[0]}", help="first day (default %(default)s)")
    generate.add_argument("--end", default=f"{DEFAULT_RANGE[1] - timedelta(days=1)}",
                          help="last day, inclusive (default %(default)s)")
    generate.add_argument("--config-json", help="extra Dagster run config (a JSON object) for every run, "
                                                "e.g. '{\"resources\": {\"settings\": {\"config\": {\"seed\": 7}}}}'")
    generate.set_defaults(handler=cmd_generate_data)
    seeder = commands.add_parser(
        "seed", help="seed the content-platform database (DuckDB by default, or PostgreSQL)",
        description="Users -> content_items / content_items_auto -> generation_jobs for every day of the range, "
                    "through the content assets; re-seeding replaces rows, never duplicates them.")
    seeder.add_argument("--database-url", help="postgresql://.../NAME_demo or NAME_test (default: DATABASE_URL, "
                                               "else the DuckDB file data/synth.duckdb)")
    seeder.add_argument("--seed", type=int, help="master seed (default SYNTH_SEED or 42)")
    seeder.add_argument("--users", type=int, help="users to create (default 10,000)")
    seeder.add_argument("--items", type=int, help="content_items (default 10,000)")
    seeder.add_argument("--items-auto", type=int, help="content_items_auto (default 10,000)")
    seeder.add_argument("--start", help="first US-Eastern day (default 2025-05-01)")
    seeder.add_argument("--end", help="last US-Eastern day (default 2025-09-21)")
    seeder.add_argument("--lock-timeout", type=float, help="seconds to wait for a table (PostgreSQL) or the DuckDB "
                                                           "file held elsewhere before stopping (default 30)")
    seeder.set_defaults(handler=cmd_seed)
    stream = commands.add_parser(
        "stream", help="simulate live air-quality sensors (JSON lines, DuckDB, PostgreSQL, Kinesis)",
        description="Live sensor messages made by the batch family's patterns, with the seed's faults "
                    "(0.1 % of readings lost to sensor outages, 0.5 % duplicates). Stops at --count/--duration "
                    "or on Ctrl-C/SIGTERM and prints totals on stderr.")
    stream.add_argument("--mode", choices=["development", "production"], default="development",
                        help="development: 10 sensors at 1 msg/s; production: 1000 sensors at 33 msg/s")
    stream.add_argument("--sensors", type=int, help="number of sensors (cities drawn with the seed)")
    stream.add_argument("--rate", type=float, help="messages per (simulated) second")
    stream.add_argument("--duration", type=float, help="stop after this many seconds")
    stream.add_argument("--count", type=int, help="stop after this many readings")
    stream.add_argument("--seed", type=int, help="seed of sensors, values and faults (default SYNTH_SEED or 42)")
    stream.add_argument("--sink", default="stdout",
                        help="stdout (JSON lines, default) | file:PATH (JSON lines; "
                             "file:s3://bucket/prefix/NAME.jsonl: one object NAME-<run>-<offset>.jsonl "
                             "per batch of up to 50,000 messages or 60 s) | "
                             "duckdb (data/synth.duckdb: "
                             "air_quality.stream_realtime + stream_dead_letters) | postgres (same tables; needs "
                             "--database-url; survives a dropped connection or server restart: reconnects with "
                             "backoff and writes each batch exactly once, ledger air_quality.stream_batches; gives up "
                             "with an error after 60 s of failing) | kinesis (stream air-quality-measurements by "
                             "city_id + DynamoDB "
                             "air-quality-realtime / air-quality-dlq)")
    stream.add_argument("--start", help="simulated clock start (ISO time, UTC); default: real UTC time")
    stream.add_argument("--speedup", type=float, help="simulated seconds per wall second (needs --start)")
    stream.add_argument("--drop-rate", type=float,
                        help="share of readings lost to sensor outages, in bursts (default 0.001)")
    stream.add_argument("--duplicate-rate", type=float, help="chance a message is sent twice (default 0.005)")
    stream.add_argument("--malformed-rate", type=float, help="chance a message breaks the contract (default 0)")
    stream.add_argument("--database-url", help="for --sink postgres: a *_demo/*_test database")
    stream.add_argument("--endpoint-url", help="for --sink kinesis: AWS-compatible endpoint (e.g. LocalStack)")
    stream.add_argument("--region", help="for --sink kinesis (default us-east-1)")
    stream.set_defaults(handler=cmd_stream)
    from synth_assets.runs_cli import add_runs_parser

    add_runs_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except Interrupted as exc:
        print(f"\n{exc}", file=sys.stderr)
        return exc.exit_code
    except StepFailed as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001  (known causes get a paragraph; anything else re-raises)
        explained = explain(exc)
        if explained:
            print(f"error: {explained}", file=sys.stderr)
            return 1
        if isinstance(exc, ValueError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, RuntimeError):
            print(f"\nerror: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
