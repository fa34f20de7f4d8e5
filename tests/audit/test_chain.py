from __future__ import annotations

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from citypilot.audit.models import AuditChainHead, AuditEntry
from citypilot.audit.services import record, verify_chain

pytestmark = pytest.mark.django_db


def _append(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            record(actor=None, action="test.event", before={"i": i}, after={"i": i + 1, "名称": "测试"}, reason="r")


def _disable_guard() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks may be pending for ALTER
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_auditentry_no_update")


def test_chain_links_each_entry_to_the_previous_one() -> None:
    _append(5)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (5, entries[-1].hash)
    assert verify_chain().ok and verify_chain().checked == 5


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError):
        record(actor=None, action="test.event")


def test_model_and_database_refuse_updates() -> None:
    _append(1)
    entry = AuditEntry.objects.get()
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(reason="rewritten")
    assert AuditEntry.objects.get().reason == "r"


def test_verify_reports_the_first_changed_entry() -> None:
    _append(6)
    _disable_guard()
    AuditEntry.objects.filter(seq=4).update(after={"i": 999})
    result = verify_chain()
    assert not result.ok
    assert result.broken_seq == 4
    assert result.checked == 3
    with pytest.raises(CommandError, match="entry 4"):
        call_command("audit", "verify")


def test_verify_reports_a_removed_entry() -> None:
    _append(4)
    _disable_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = 2")
    result = verify_chain()
    assert (result.ok, result.broken_seq) == (False, 2)


def test_verify_reports_removed_last_entries() -> None:
    _append(3)
    _disable_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = 3")
    result = verify_chain()
    assert (result.ok, result.broken_seq) == (False, 3)


def test_verify_command_succeeds_on_an_intact_chain(capsys: pytest.CaptureFixture[str]) -> None:
    _append(2)
    call_command("audit", "verify")
    assert "2 entries verified" in capsys.readouterr().out
