"""Run a selection of the code location's assets as one Dagster run, the way `synth` verbs do.

    python -m synth_assets.core.run_worker --select air_quality/hourly_measurements \
        --partition-range 2020-01-01...2024-12-31 [--config-json '{...}'] [--error-file PATH]

This is `dagster asset materialize` (same implicit asset job, same instance from ``DAGSTER_HOME``,
in-process execution) plus three things the verbs need:

* the run is tagged with this worker's host, pid and process start time, so a later `synth` can tell
  a run whose worker was killed (``kill -9``) from one still working, mark it failed and free the
  concurrency-pool slots it held (:mod:`synth_assets.core.run_health`);
* SIGTERM is handled like Ctrl-C (Dagster's interrupt handling): the run stops at the next safe
  point, is marked canceled and releases its slots; every file written before is complete;
* on failure the root cause is written to ``--error-file`` as one paragraph
  (:func:`synth_assets.core.errors.explain`), so the verb can print it instead of a log tail.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=".*is currently in (beta|preview)")

import dagster as dg  # noqa: E402
from dagster._utils.interrupts import capture_interrupts  # noqa: E402  (what `dagster asset materialize` uses)

from synth_assets.core.errors import describe  # noqa: E402
from synth_assets.core.run_health import worker_tags  # noqa: E402

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
INTERRUPTED_EXIT = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m synth_assets.core.run_worker")
    parser.add_argument("--select", required=True, help="comma-separated asset selection")
    parser.add_argument("--partition")
    parser.add_argument("--partition-range", help="FIRST...LAST")
    parser.add_argument("--config-json", default="{}")
    parser.add_argument("--error-file", type=Path)
    parser.add_argument("--parent-pid", type=int, help="stop (as on Ctrl-C) when this process dies")
    return parser


_PR_SET_PDEATHSIG = 1


ORPHAN_GRACE_SECONDS = 10.0  # after its parent died: time to stop cleanly before the worker kills itself


def stop_with_parent(parent_pid: int) -> None:
    """Never go on alone after `synth` is gone (even killed with -9).

    Linux sends this worker SIGINT the moment its parent dies (``PR_SET_PDEATHSIG``); a watchdog thread
    (for other systems, and for a run that cannot act on SIGINT, such as a step waiting for a pool slot,
    which Dagster's in-process executor does not interrupt) notices the new parent, interrupts, and after
    :data:`ORPHAN_GRACE_SECONDS` kills the worker. A run left behind that way is reaped by the next `synth`.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # no prctl (not Linux): the watchdog below still notices
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        raise KeyboardInterrupt
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(ORPHAN_GRACE_SECONDS)
    os.kill(os.getpid(), signal.SIGKILL)


def run_config_from_json(text: str) -> dict:
    """The run config given as JSON; anything but a JSON object is refused with one clear sentence."""
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"run config is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(config, dict):
        raise ValueError(f"run config must be a JSON object (a mapping such as {{\"resources\": {{...}}}}), "
                         f"got a {type(config).__name__}: {text[:80]}")
    return config


def materialize(select: str, partition: str | None, partition_range: str | None, run_config: dict) -> bool:
    from synth_assets.definitions import defs

    asset_graph = defs.resolve_asset_graph()
    keys = dg.AssetSelection.from_coercible(select.split(",")).resolve(asset_graph)
    job = defs.resolve_implicit_job_def_def_for_assets(list(keys))
    tags = worker_tags()
    if partition_range:
        first, sep, last = partition_range.partition("...")
        if not sep or not first or not last:
            raise ValueError(f"partition range {partition_range!r} is not FIRST...LAST")
        tags |= {RANGE_START: first, RANGE_END: last}
    # no DAGSTER_HOME: a throw-away instance, as `dagster asset materialize` uses then
    with (dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()) as instance:
        result = job.execute_in_process(run_config=run_config, instance=instance, partition_key=partition,
                                        asset_selection=list(keys), tags=tags, raise_on_error=True)
    return result.success


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        run_config = run_config_from_json(args.config_json)
        if args.parent_pid:
            stop_with_parent(args.parent_pid)
        with capture_interrupts():  # SIGINT and SIGTERM stop the run cleanly, as in `dagster asset materialize`
            ok = materialize(args.select, args.partition, args.partition_range, run_config)
        return 0 if ok else 1
    except (KeyboardInterrupt, dg.DagsterExecutionInterruptedError):
        _write_error(args.error_file, "interrupted: the run stopped at a safe point and was marked canceled")
        return INTERRUPTED_EXIT
    except Exception as exc:  # noqa: BLE001  (reported as one paragraph; the full traceback is in the log)
        traceback.print_exc()
        _write_error(args.error_file, describe(exc))
        return 1


def _write_error(path: Path | None, text: str) -> None:
    print(f"error: {text}", file=sys.stderr)
    if path is not None:
        path.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
