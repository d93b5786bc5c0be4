"""Run monitoring for runs started by `synth`: find runs whose worker process is gone, mark them failed
and free the concurrency-pool slots they held; say who holds a pool's slots.

Dagster's run monitoring daemon does this for run launchers that can check a worker's health; the
default launcher and ``execute_in_process`` runs cannot be checked, so a run killed with ``kill -9``
stays STARTED and keeps its ``duckdb`` slot forever (every later writer then waits). Runs started by
:mod:`synth_assets.core.run_worker` carry the worker's host, pid and process start time as tags; a run
on this host whose process no longer exists (or whose pid now belongs to another process) is dead.
It is then ended the way the daemon ends one (``report_run_failed``) and its slots are freed
(``free_concurrency_slots_for_run``, as the daemon's ``free_slots_after_run_end_seconds`` does).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

HOST_TAG, PID_TAG, STARTED_TAG = "synth/worker_host", "synth/worker_pid", "synth/worker_started"


def _process_start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # the command name (field 2) may contain spaces and parentheses: split after its closing ')'
    fields = stat[stat.rindex(")") + 2:].split()
    state = fields[0]
    if state in ("Z", "X"):  # a zombie has finished: nothing more will happen in it
        return None
    return fields[19]


def worker_tags(pid: int | None = None) -> dict[str, str]:
    pid = os.getpid() if pid is None else pid
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(pid), STARTED_TAG: _process_start_ticks(pid) or ""}


def worker_alive(tags: dict[str, str]) -> bool | None:
    """True/False for a synth worker on this host; None when it cannot be told (not started here by
    synth, or no /proc to read a start time from): such a run is never judged dead."""
    if tags.get(HOST_TAG) != socket.gethostname() or not tags.get(PID_TAG, "").isdigit():
        return None
    pid = int(tags[PID_TAG])
    if not tags.get(STARTED_TAG) or not Path("/proc/self/stat").exists():
        try:  # no start time to compare: only "no such process" counts as dead
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return None
    started = _process_start_ticks(pid)
    return started is not None and started == tags[STARTED_TAG]


def reap_dead_runs(instance: dg.DagsterInstance, echo: Callable[[str], None] = print) -> list[str]:
    """Mark every in-progress synth run whose worker is gone as failed and free its slots; return ids."""
    reaped = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=list(IN_PROGRESS_RUN_STATUSES))):
        if worker_alive(dict(record.dagster_run.tags)) is not False:
            continue
        # the worker is gone, so the run's status can no longer change: re-read it now (it may have
        # ended between the listing and the check) and fail it only if it is still in progress
        run = instance.get_run_by_id(record.dagster_run.run_id)
        if run is None or run.is_finished:
            continue
        message = (f"the run's worker process (pid {run.tags[PID_TAG]} on {run.tags[HOST_TAG]}) is gone "
                   f"(killed or crashed); marked failed by synth's run monitoring and its pool slots freed")
        instance.report_run_failed(run, message)
        _free_slots(instance, run.run_id)
        echo(f"  run {run.run_id[:8]} ({_what(run)}) had lost its worker: marked failed, its pool slots freed")
        reaped.append(run.run_id)
    # a run that ended (failed, canceled) without releasing a slot: free it now, as the daemon would
    for run_id in _slot_holders(instance):
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            _free_slots(instance, run_id)
    return reaped


def _free_slots(instance: dg.DagsterInstance, run_id: str) -> None:
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)


def _slot_holders(instance: dg.DagsterInstance) -> set[str]:
    storage = instance.event_log_storage
    return set(storage.get_concurrency_run_ids()) if storage.supports_global_concurrency_limits else set()


def _what(run: dg.DagsterRun) -> str:
    selection = sorted(k.to_user_string() for k in (run.asset_selection or []))
    return ", ".join(selection) or run.job_name


@dataclass(frozen=True)
class Holder:
    pool: str
    run_id: str
    status: str
    what: str
    alive: bool | None

    def line(self) -> str:
        where = {True: "its worker is running", False: "its worker is gone",
                 None: "started elsewhere (UI, daemon or another host)"}[self.alive]
        return (f"pool {self.pool!r} is held by run {self.run_id[:8]} ({self.what}, {self.status.lower()}, {where}); "
                f"if that run is stuck, stop it in the UI (Runs -> Terminate) or: "
                f"dagster run delete {self.run_id} --force")


def blocking_holders(instance: dg.DagsterInstance, run_tags_pid: int) -> list[Holder]:
    """Who holds the slots of every pool that the run of worker ``run_tags_pid`` is waiting for."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    mine = {r.dagster_run.run_id for r in instance.get_run_records(dg.RunsFilter(
        statuses=list(IN_PROGRESS_RUN_STATUSES), tags={PID_TAG: str(run_tags_pid)}))}
    holders = []
    for pool in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(pool)
        if not any(step.run_id in mine for step in info.pending_steps if step.assigned_timestamp is None):
            continue
        for slot in info.claimed_slots:
            run = instance.get_run_by_id(slot.run_id)
            holders.append(Holder(pool, slot.run_id, run.status.value if run else "UNKNOWN",
                                  _what(run) if run else "?", worker_alive(dict(run.tags)) if run else None))
    return holders
