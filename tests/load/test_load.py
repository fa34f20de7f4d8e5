"""A short version of the load test (``benchmarks/load.py``): 10 simulated users for 10 seconds against
gunicorn on loopback, reads mixed with uploads, new versions, organisation edits, settlements and the
round and selection workflows (with deliberate races on the same submission or application); then no
errors (409 conflicts are counted apart), no decision lost or duplicated, consistent histories and a
valid audit chain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.load.conftest import ROOT, copy_site, environment


def test_short_load_ends_consistent(generated_site: Path, tmp_path: Path) -> None:
    site = copy_site(generated_site, tmp_path / "site")
    out = tmp_path / "load.json"
    done = subprocess.run(  # noqa: S603 - our own scripts
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--users", "10", "--duration", "10", "--out", str(out)],
        env=environment(site),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    result = json.loads(out.read_text()) if out.exists() else {}
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert result["errors"] == 0, result["error_samples"]
    assert result["consistency_problems"] == []
    assert result["audit_chain_ok"]
    assert result["operations"].get("read", 0) > 0
    assert result["documents_uploaded"] > 0 and result["organisation_edits"] + result["settlements"] >= 0
    assert sum(result["workflow_transitions"].values()) > 0, result["operations"]
    assert result["races"] == result["races_won_once"] + result["races_lost_both_409"]  # never won twice
