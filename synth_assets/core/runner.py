"""Run one selection of assets as a Dagster run in a worker process, with progress, while staying in charge.

The CLI verbs (`synth generate-data`, `synth demo`) use this so that what a user runs from the shell
is exactly what the UI and the schedules run: the assets of ``synth_assets.definitions``, as one run on
the instance of ``DAGSTER_HOME`` (:mod:`synth_assets.core.run_worker`). While the worker runs, this
process

* reaps runs whose worker was killed, so their ``duckdb`` pool slot is freed (:mod:`run_health`), and
  says which run a blocked step is waiting for instead of spinning silently;
* passes Ctrl-C / SIGTERM on to the worker, waits for it to stop at a safe point (killing it after
  :data:`STOP_GRACE_SECONDS`), and reports what was finished (:class:`Interrupted`);
* on failure prints the worker's one-paragraph cause, and where the full log is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.5
HEALTH_SECONDS = 3.0  # how often dead runs are looked for while a step runs
STOP_GRACE_SECONDS = 30.0  # after Ctrl-C/SIGTERM, how long the worker may take to stop cleanly


@dataclass(frozen=True)
class Step:
    """One run; ``progress`` returns (done, total) units of work."""

    label: str
    select: str
    partition: str | None = None
    partition_range: tuple[str, str] | None = None
    progress: Callable[[], tuple[int, int]] | None = None
    unit: str = "partitions"
    run_config: dict | None = None

    def command(self, error_file: Path) -> list[str]:
        command = [sys.executable, "-m", "synth_assets.core.run_worker", "--select", self.select,
                   "--error-file", str(error_file), "--parent-pid", str(os.getpid())]
        if self.partition:
            command += ["--partition", self.partition]
        if self.partition_range:
            command += ["--partition-range", f"{self.partition_range[0]}...{self.partition_range[1]}"]
        if self.run_config:
            command += ["--config-json", json.dumps(self.run_config)]
        return command


class StepFailed(RuntimeError):
    pass


class Interrupted(RuntimeError):
    """The user stopped a verb; ``exit_code`` is 128 + the signal, as a shell reports it."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.exit_code = 128 + signum


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return "#" * filled + "." * (width - filled)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


@contextmanager
def _signals_recorded() -> Iterator[list[int]]:
    """Record Ctrl-C, SIGTERM, a closed terminal (SIGHUP) and SIGQUIT instead of dying, so the worker can
    be stopped cleanly first. (If this process dies anyway, the worker gets SIGINT from the kernel:
    see ``run_worker.stop_with_parent``.)"""
    received: list[int] = []
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    for signum in previous:
        signal.signal(signum, lambda number, _frame: received.append(number))
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _instance():
    """The persistent instance the worker uses, or None (no DAGSTER_HOME: nothing outlives the run)."""
    if not os.environ.get("DAGSTER_HOME"):
        return None
    import dagster as dg

    return dg.DagsterInstance.get()


def _stop(process: subprocess.Popen) -> None:
    """SIGINT to the worker (Dagster stops the run at a safe point), SIGKILL after the grace period."""
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


class _Monitor:
    """Reaps dead runs and explains waits while a worker runs (only with a persistent instance)."""

    def __init__(self, label: str):
        self.label = label
        self.instance = _instance()
        self.last_check = 0.0
        self.last_said: set[str] = set()

    def reap(self) -> None:
        if self.instance is not None:
            from synth_assets.core.run_health import reap_dead_runs

            reap_dead_runs(self.instance, echo=lambda line: print(line, flush=True))

    def tick(self, worker_pid: int, progressed: bool) -> None:
        if self.instance is None or time.monotonic() - self.last_check < HEALTH_SECONDS:
            return
        self.last_check = time.monotonic()
        self.reap()
        if progressed:
            return
        from synth_assets.core.run_health import blocking_holders

        lines = {holder.line() for holder in blocking_holders(self.instance, worker_pid)}
        for line in sorted(lines - self.last_said):
            print(f"\n  {self.label}: waiting; {line}", flush=True)
        self.last_said = lines

    def close(self) -> None:
        if self.instance is not None:
            self.instance.dispose()


def run_step(step: Step, log_dir: Path) -> float:
    """Run one step; print progress; on failure print its cause and raise; on a signal stop it and raise.

    Settings reach the worker only through ``step.run_config`` (what is not given there comes from
    the environment this process was started with, as for any run)."""
    if not isinstance(log_dir, Path):
        raise ValueError(f"the run logs need a local directory, not {log_dir} (an s3:// data directory keeps "
                         f"them in ./data/logs or $SYNTH_LOG_DIR: docs/scale-out.md)")
    log_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    interactive = sys.stdout.isatty()
    monitor = _Monitor(step.label)
    try:
        monitor.reap()
        with tempfile.NamedTemporaryFile("w+", dir=log_dir, prefix=step.label.replace("/", "_") + ".",
                                         suffix=".log", delete=False) as log, _signals_recorded() as received:
            error_file = Path(log.name).with_suffix(".error")
            error_file.unlink(missing_ok=True)
            # its own session: a terminal's Ctrl-C reaches this process only, which stops the worker cleanly
            process = subprocess.Popen(step.command(error_file), stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            last_tenth, last_done = -1, None
            while process.poll() is None:
                time.sleep(POLL_SECONDS)
                if received:
                    _stop(process)
                    monitor.reap()  # a worker killed after the grace period leaves its run to reap
                    raise Interrupted(_interrupted_message(step, received[0]), received[0])
                done = total = 0
                if step.progress is not None:
                    done, total = step.progress()
                    if interactive:
                        print(f"\r  {step.label:<34} [{_bar(done, total)}] {done:>5}/{total} {step.unit}",
                              end="", flush=True)
                    elif total and done * 10 // total > last_tenth:
                        last_tenth = done * 10 // total
                        print(f"  {step.label:<34} {done:>5}/{total} {step.unit}", flush=True)
                monitor.tick(process.pid, progressed=done != last_done and last_done is not None)
                last_done = done
            seconds = time.perf_counter() - started
            if interactive and step.progress is not None:
                print("\r", end="")
            if received:
                raise Interrupted(_interrupted_message(step, received[0]), received[0])
            if process.returncode != 0:
                raise StepFailed(_failure_message(step, process.returncode, error_file, log))
    finally:
        monitor.close()
    print(f"  {step.label:<34} done in {seconds:6.1f} s")
    return seconds


def _interrupted_message(step: Step, signum: int) -> str:
    name = signal.Signals(signum).name
    finished = ""
    if step.progress is not None:
        done, total = step.progress()
        finished = f" {done:,} of {total:,} {step.unit} were written, each one complete;"
    return (f"stopped by {name} during {step.label}:{finished} nothing is half-written (every file is "
            f"written whole and renamed into place, or uploaded whole to S3). Run the same command again to "
            f"finish; what was already written comes out byte-identical.")


def _failure_message(step: Step, code: int, error_file: Path, log) -> str:
    cause = error_file.read_text(encoding="utf-8").strip() if error_file.exists() else ""
    if not cause:
        log.seek(0)
        cause = "".join(log.readlines()[-40:])
    return f"{step.label} failed (exit {code}): {cause}\nfull log: {log.name}"
