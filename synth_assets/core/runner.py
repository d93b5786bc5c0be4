"""Run `dagster asset materialize` as a subprocess, with a progress line while it works.

The CLI verbs (`synth generate-data`, `synth demo`) use this so that what a user runs from the shell
is exactly what the UI and the schedules run: the assets of ``synth_assets.definitions``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

DEFINITIONS_MODULE = "synth_assets.definitions"
POLL_SECONDS = 0.5
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


@dataclass(frozen=True)
class Step:
    """One `dagster asset materialize` call; ``progress`` returns (done, total) units of work."""

    label: str
    select: str
    partition: str | None = None
    partition_range: tuple[str, str] | None = None
    progress: Callable[[], tuple[int, int]] | None = None
    unit: str = "partitions"

    def command(self) -> list[str]:
        dagster = Path(sys.executable).with_name("dagster")
        command = [str(dagster), "asset", "materialize", "-m", DEFINITIONS_MODULE, "--select", self.select]
        if self.partition:
            command += ["--partition", self.partition]
        if self.partition_range:
            command += ["--partition-range", f"{self.partition_range[0]}...{self.partition_range[1]}"]
        # one asset per step: run it in this process instead of forking a step worker
        return command + ["--config-json", json.dumps(IN_PROCESS)]


class StepFailed(RuntimeError):
    pass


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return "#" * filled + "." * (width - filled)


def run_step(step: Step, env: dict[str, str], log_dir: Path) -> float:
    """Run one step; print progress; on failure print the tail of dagster's log and raise."""
    log_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    interactive = sys.stdout.isatty()
    with tempfile.NamedTemporaryFile("w+", dir=log_dir, prefix=step.label.replace("/", "_") + ".",
                                     suffix=".log", delete=False) as log:
        process = subprocess.Popen(step.command(), stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, **env})
        last_tenth = -1
        while process.poll() is None:
            time.sleep(POLL_SECONDS)
            if step.progress is None:
                continue
            done, total = step.progress()
            if interactive:
                print(f"\r  {step.label:<34} [{_bar(done, total)}] {done:>5}/{total} {step.unit}",
                      end="", flush=True)
            elif total and done * 10 // total > last_tenth:
                last_tenth = done * 10 // total
                print(f"  {step.label:<34} {done:>5}/{total} {step.unit}", flush=True)
        seconds = time.perf_counter() - started
        if interactive and step.progress is not None:
            print("\r", end="")
        if process.returncode != 0:
            log.seek(0)
            tail = "".join(log.readlines()[-40:])
            raise StepFailed(f"{step.label} failed (exit {process.returncode}); full log: {log.name}\n{tail}")
    print(f"  {step.label:<34} done in {seconds:6.1f} s")
    return seconds
