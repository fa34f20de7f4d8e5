"""Rendering a batch from the registry, the import and render commands, and the demo registry."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from citypilot import cli
from citypilot.accounts.models import Membership
from citypilot.audit.models import AuditEntry
from citypilot.notices.parser import parse_notice
from citypilot.notices.renderer import render_annex
from citypilot.pilots.models import Batch, Pilot
from citypilot.pilots.selectors import render_batch_annex
from tests.pilots.conftest import SEED_BYTES, SEED_PATH, SEED_TEXT

pytestmark = pytest.mark.django_db


def test_rendering_the_imported_batch_gives_back_the_annex(batch_2013: Batch) -> None:
    expected = render_annex(parse_notice(SEED_BYTES)).splitlines()
    assert render_batch_annex(batch_2013).splitlines() == expected


def test_render_command(batch_2013: Batch) -> None:
    out = StringIO()
    call_command("render_notice", "--batch", "2013", stdout=out)
    assert out.getvalue() == render_annex(parse_notice(SEED_BYTES))
    with pytest.raises(CommandError):
        call_command("render_notice", "--batch", "2012", stdout=StringIO())  # a stub, never imported


def test_import_command_prints_the_report(world: Any) -> None:
    out = StringIO()
    call_command("import_notice", str(SEED_PATH), stdout=out)
    text = out.getvalue()
    assert "三、2012年试点扩大范围：声明 9，实列 6（不一致）" in text
    assert "试点区划认定：名称一致 86，位于区划境内 15，人工认定 0，未能确定 2" in text
    assert "东莞市东城区" in text
    out = StringIO()
    call_command("import_notice", str(SEED_PATH), stdout=out)
    assert "没有变化" in out.getvalue()


def test_import_command_dry_run_prints_differences(world: Any, tmp_path: Path) -> None:
    call_command("import_notice", str(SEED_PATH), stdout=StringIO())
    changed = tmp_path / "changed.txt"
    changed.write_text(SEED_TEXT.replace("银川市、石嘴山市（含大武口区）", "银川市"), encoding="utf-8")
    audit_count = AuditEntry.objects.count()
    out = StringIO()
    call_command("import_notice", str(changed), "--dry-run", stdout=out)
    assert "删除试点：石嘴山市" in out.getvalue()
    assert "试运行" in out.getvalue()
    assert AuditEntry.objects.count() == audit_count
    assert Pilot.objects.filter(name="石嘴山市").exists()


def test_import_command_fails_on_a_malformed_notice(world: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(SEED_TEXT.replace("柳州市（含鱼峰区）", "柳州市（含鱼峰区"), encoding="utf-8")
    with pytest.raises(CommandError, match=r"^第123行："):
        call_command("import_notice", str(bad), stdout=StringIO())
    assert not Batch.objects.exists()


def test_cli_accepts_hyphenated_command_names(batch_2013: Batch, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["render-notice", "--batch", "2013"])
    assert capsys.readouterr().out == render_annex(parse_notice(SEED_BYTES))


def test_demo_registry_holds_the_2013_batch_and_caofeidian_is_its_pilot(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--no-serve")
    batch = Batch.objects.get(year=2013)
    assert batch.is_published
    assert batch.pilots.filter(is_placeholder=False).count() == 103
    caofeidian = Pilot.objects.get(batch=batch, name="唐山市曹妃甸区")
    membership = Membership.objects.get(user__username="caofeidian")
    assert membership.organisation_id == caofeidian.organisation_id
    assert "Pilot registry: 2013 batch, 103 pilots." in capsys.readouterr().out
