"""``benchmarks/run.py --smoke`` works end to end: it starts gunicorn, asks every scenario, times the bare
SQL, audit verification and the notice import, and writes its JSON. Timings are never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.load.conftest import ROOT, copy_site, environment


def test_benchmark_smoke_run(generated_site: Path, tmp_path: Path) -> None:
    site = copy_site(generated_site, tmp_path / "site")
    out = tmp_path / "smoke.json"
    done = subprocess.run(  # noqa: S603 - our own scripts
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke", "--out", str(out)],
        env=environment(site),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    scenarios = results["scenarios"]
    for name in (
        "registry list (filtered, first page)",
        "pilot page",
        "API list",
        "API detail",
        "export CSV (all pilots)",
    ):
        assert name in scenarios, sorted(scenarios)
    for name, entry in scenarios.items():
        for run in entry["runs"]:
            assert run["requests"] > 0 and run["errors"] == 0, (name, run)
            assert run["queries_per_request"] is not None, name  # the benchmark-mode header is on
        if "sql" in entry:
            assert entry["sql"]["status"] == 200 and entry["sql"]["queries"] > 0, (name, entry["sql"])
    assert results["audit_verify"]["ok"] and results["audit_verify"]["entries"] > 0
    assert results["import_2013_notice"]["reimport_ms"] > 0
    assert results["server_peak_rss_kib_per_process"] > 0
