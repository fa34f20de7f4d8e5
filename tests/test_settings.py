"""Production mode refuses unsafe configuration; `check --deploy` is clean when configured properly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from citypilot.settings import secret_key_problem

STRONG_KEY = "kT3v9-Qm2pL8xZ4rW7nB1cY6hJ0sD5fG-aE2uI9oP3lK8jH4gF7dS1aZ6xC0vB5nM"


def run_citypilot(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "CITYPILOT_ENV", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update({"CITYPILOT_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **env})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "citypilot", *args], capture_output=True, text=True, env=clean, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "not set"),
        ("django-insecure-abc", "development key"),
        ("short-key", "at least 50"),
        ("a" * 60, "at least 50"),
        (STRONG_KEY, None),
    ],
)
def test_secret_key_strength(key: str, problem: str | None) -> None:
    found = secret_key_problem(key)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_production_refuses_to_start_with_a_weak_key(tmp_path: Path) -> None:
    result = run_citypilot(["check"], tmp_path, CITYPILOT_ENV="production", SECRET_KEY="weak", ALLOWED_HOSTS="x.gov.cn")
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path: Path) -> None:
    result = run_citypilot(["check"], tmp_path, CITYPILOT_ENV="production", SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_deploy_check_is_clean_in_production(tmp_path: Path) -> None:
    result = run_citypilot(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        CITYPILOT_ENV="production",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="citypilot.example.gov.cn",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_defaults_are_chinese_and_shanghai() -> None:
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
