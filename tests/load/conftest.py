"""A tiny generated SQLite database in a temporary folder, served by a real server in a subprocess.

The benchmark smoke run and the short load test drive ``benchmarks/run.py`` and ``benchmarks/load.py``
as a user would, against their own database (never the test database), on loopback only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CITYPILOT = [sys.executable, "-m", "citypilot"]


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CITYPILOT_ENV", "SECRET_KEY"}}
    env.update({"CITYPILOT_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "citypilot.settings"})
    return env


@pytest.fixture(scope="session")
def generated_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with the 2013 batch and generated data at scale 0.02."""
    data_dir = tmp_path_factory.mktemp("generated-site")
    env = environment(data_dir)
    subprocess.run([*CITYPILOT, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=300)  # noqa: S603
    subprocess.run(  # noqa: S603 - our own scripts
        [*CITYPILOT, "generate", "--scale", "0.02", "--seed", "5"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
        capture_output=True,
    )
    return data_dir


def copy_site(source: Path, target: Path) -> Path:
    subprocess.run(["cp", "-a", f"{source}/.", str(target)], check=True)  # noqa: S603,S607
    return target
