"""The Home Assistant 2024.3 tool environment: a separate venv (its pins clash with ours), made once.

``.tools/ha-2024.3/`` is created with the project's uv from this interpreter (Python 3.11) and holds
Home Assistant plus the requirements of the recorder integration of that release
(``components/recorder/manifest.json``). A marker file records what was installed, so later runs reuse it
at once; a file lock keeps two xdist workers from building it together. If it cannot be built (no
network, no uv) the tests that need it are skipped with the reason. Our package never imports
homeassistant: only the scripts in ``ha_scripts/`` run in this environment, as subprocesses.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HA_REQUIREMENTS = ("homeassistant==2024.3.3",
                   # components/recorder/manifest.json "requirements" of 2024.3.3
                   "SQLAlchemy==2.0.27", "fnv-hash-fast==0.5.0", "psutil-home-assistant==0.0.1")
ENV_DIR = REPO / ".tools" / "ha-2024.3"
SCRIPTS = Path(__file__).resolve().parent / "ha_scripts"
INSTALL_TIMEOUT_SECONDS = 900


def _uv() -> Path:
    return REPO / ".tools" / "bin" / "uv"


def ensure_ha_env() -> Path:
    """The tool environment's python, building the environment if it is missing or outdated."""
    python = ENV_DIR / "bin" / "python"
    marker = ENV_DIR / ".installed"
    wanted = "\n".join(HA_REQUIREMENTS)
    ENV_DIR.parent.mkdir(parents=True, exist_ok=True)
    with open(ENV_DIR.parent / "ha-2024.3.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and marker.exists() and marker.read_text() == wanted:
            return python
        if not _uv().exists():
            raise RuntimeError(f"uv not found at {_uv()} (run `make install` first)")
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_SYSTEM_CERTS": "true"}
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([str(_uv()), "venv", "--clear", "--python", base, str(ENV_DIR)], check=True, env=env,
                       capture_output=True, timeout=INSTALL_TIMEOUT_SECONDS)
        subprocess.run([str(_uv()), "pip", "install", "--python", str(python), *HA_REQUIREMENTS], check=True,
                       env=env, capture_output=True, timeout=INSTALL_TIMEOUT_SECONDS)
        marker.write_text(wanted)
    return python


@pytest.fixture(scope="session")
def ha_python() -> Path:
    try:
        return ensure_ha_env()
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        pytest.skip(f"Home Assistant 2024.3 tool environment could not be installed: {error} "
                    f"{detail.decode(errors='replace')[-500:]}")


def run_ha_script(python: Path, script: str, *args: object, timeout: float = 300) -> dict:
    """Run ``ha_scripts/<script>`` in the tool environment; its ``RESULT {json}`` line, parsed."""
    done = subprocess.run([str(python), str(SCRIPTS / script), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=SCRIPTS)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise AssertionError(f"{script} gave no result (exit {done.returncode}):\n{done.stderr[-3000:]}")
