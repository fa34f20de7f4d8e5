#!/usr/bin/env python3
"""CityPilot's two-command entry point, standard library only.

    python3 dev.py demo    install everything, create the SQLite database, load reference data and
                           demo accounts, serve http://127.0.0.1:8000
    python3 dev.py test    run the whole test suite (DATABASE_URL=postgres://... for PostgreSQL)
    python3 dev.py check   lint, format, type and migration checks (what CI runs besides the tests)
    python3 dev.py citypilot ARGS...   any other citypilot command inside the project environment

It needs Python 3.11 and access to PyPI, nothing else: it fetches the pinned `uv` from PyPI when the
machine has none (checking the wheel's SHA-256), and uv installs the locked dependencies (uv.lock)
into ./.venv.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
UV_VERSION = "0.13.9"
TOOLS = ROOT / ".tools"
VENV = ROOT / ".venv"


def _wheel_tag() -> str:
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if sys.platform.startswith("linux"):
        return f"manylinux_2_17_{arch}"
    if sys.platform == "darwin":
        return "macosx_11_0_arm64" if arch == "aarch64" else "macosx_10_12_x86_64"
    if sys.platform == "win32":
        return "win_amd64"
    raise SystemExit(f"Unsupported platform {sys.platform}/{machine}: install uv yourself.")


def _download_uv() -> Path:
    """Fetch the pinned uv wheel from PyPI, verify its SHA-256 and unpack the binary into .tools/."""
    binary = TOOLS / f"uv-{UV_VERSION}" / ("uv.exe" if sys.platform == "win32" else "uv")
    if binary.exists():
        return binary
    index = os.environ.get("CITYPILOT_PYPI_SIMPLE", "https://pypi.org/simple")
    print(f"Fetching uv {UV_VERSION} from PyPI ...", flush=True)
    # PEP 691: the JSON form of the simple index.
    request = urllib.request.Request(  # noqa: S310 - an https URL of ours
        f"{index}/uv/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        release_files = json.load(response)["files"]
    tag = _wheel_tag()
    wheel = next(
        (
            f
            for f in release_files
            if f["filename"].startswith(f"uv-{UV_VERSION}-") and f["filename"].endswith(".whl") and tag in f["filename"]
        ),
        None,
    )
    if wheel is None:
        raise SystemExit(f"No uv {UV_VERSION} wheel for {tag} on PyPI: install uv yourself.")
    with urllib.request.urlopen(wheel["url"], timeout=300) as response:  # noqa: S310
        data = response.read()
    if hashlib.sha256(data).hexdigest() != wheel["hashes"]["sha256"]:
        raise SystemExit("The downloaded uv wheel does not match PyPI's SHA-256; refusing to use it.")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = next(n for n in archive.namelist() if n.endswith(("/scripts/uv", "/scripts/uv.exe")))
        binary.parent.mkdir(parents=True, exist_ok=True)
        binary.write_bytes(archive.read(member))
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return binary


def uv() -> str:
    found = shutil.which("uv")
    return found if found else str(_download_uv())


def sync() -> None:
    """Install the locked dependencies and the project into ./.venv (fast when nothing changed)."""
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)}
    subprocess.run([uv(), "sync", "--frozen", "--python", sys.executable, "--quiet"], cwd=ROOT, env=env, check=True)  # noqa: S603


def venv_bin(name: str) -> str:
    return str(VENV / ("Scripts" if sys.platform == "win32" else "bin") / name)


def run(*command: str) -> int:
    return subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603 - our own tools


def check() -> int:
    steps = [
        (venv_bin("ruff"), "check", "."),
        (venv_bin("ruff"), "format", "--check", "."),
        (venv_bin("mypy"), "src"),
        (venv_bin("citypilot"), "makemigrations", "--check", "--dry-run"),
        (venv_bin("citypilot"), "check"),
    ]
    for step in steps:
        print("$", " ".join(Path(step[0]).name if i == 0 else part for i, part in enumerate(step)), flush=True)
        if code := run(*step):
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "check", "citypilot"}:
        print(__doc__)
        return 2
    sync()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        return run(venv_bin("citypilot"), "demo", *rest)
    if command == "test":
        return run(venv_bin("python"), "-m", "pytest", *rest)
    if command == "check":
        return check()
    return run(venv_bin("citypilot"), *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
