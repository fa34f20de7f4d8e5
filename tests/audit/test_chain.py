from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citypilot.audit.chain import canonical_entry, canonical_json, entry_hash, fast_canonical_json, format_at
from citypilot.audit.models import AuditChainHead, AuditEntry
from citypilot.audit.services import VerifyResult, record, verify_chain

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


# --- The fast verification path -----------------------------------------------------------------

_json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text()
_json_values = st.recursive(
    _json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_json_values)
def test_fast_canonical_json_equals_canonical_json(value: Any) -> None:
    assert fast_canonical_json(value) == canonical_json(value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seq=st.integers(min_value=1, max_value=2**62),
    at=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)),  # noqa: DTZ001
    ids=st.tuples(*[st.none() | st.integers(min_value=1, max_value=2**62)] * 3),
    texts=st.tuples(*[st.text(max_size=20)] * 7),
    before=_json_values,
    after=_json_values,
)
def test_canonical_entry_hashes_like_entry_hash(
    seq: int, at: datetime, ids: tuple[Any, ...], texts: tuple[str, ...], before: Any, after: Any
) -> None:
    prev_hash, actor_repr, action, object_id, object_repr, reason, source = texts
    actor_id, content_type_id, organisation_id = ids
    expected = entry_hash(
        seq=seq,
        prev_hash=prev_hash,
        at=at,
        actor_id=actor_id,
        actor_repr=actor_repr,
        action=action,
        content_type_id=content_type_id,
        object_id=object_id,
        object_repr=object_repr,
        organisation_id=organisation_id,
        before=before,
        after=after,
        reason=reason,
        source=source,
    )
    text = canonical_entry(
        seq,
        prev_hash,
        format_at(at),
        actor_id,
        actor_repr,
        action,
        content_type_id,
        object_id,
        object_repr,
        organisation_id,
        fast_canonical_json(before),
        fast_canonical_json(after),
        reason,
        source,
    )
    assert hashlib.sha256(text.encode()).hexdigest() == expected


def test_canonical_json_of_a_datetime_is_unchanged() -> None:
    value = {"at": datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), "n": [1, None, True], "名": "值"}
    assert fast_canonical_json(value) == canonical_json(value)


def _append_varied(n: int) -> None:
    payloads = [None, {}, {"phone": "0730-1"}, {"名称": "测试", "n": [1, 2.5, None, True], "x": {"b": 1, "a": 2}}]
    for i in range(n):
        with transaction.atomic():
            record(actor=None, action="test.event", before=payloads[i % 4], after=payloads[(i + 1) % 4], reason=f"{i}")


@pytest.mark.parametrize("range_size", [1, 2, 3, 4, 100])
def test_ranges_verify_an_intact_chain(range_size: int) -> None:
    _append_varied(10)
    assert verify_chain(range_size=range_size, chunk_size=2) == VerifyResult(10)


@pytest.mark.parametrize("range_size", [1, 3, 4, 5, 100])
@pytest.mark.parametrize("tampered", [1, 4, 5, 9, 10])
def test_ranges_report_the_first_changed_entry(range_size: int, tampered: int) -> None:
    _append_varied(10)
    _disable_guard()
    AuditEntry.objects.filter(seq=tampered).update(reason="rewritten")
    AuditEntry.objects.filter(seq=10).update(after={"later": "also changed"})  # a later break is not reported
    result = verify_chain(range_size=range_size, chunk_size=2)
    assert (result.broken_seq, result.checked, result.problem) == (
        tampered,
        tampered - 1,
        "content does not match its hash",
    )


@pytest.mark.parametrize("range_size", [1, 2, 3, 100])
def test_ranges_report_removed_entries_and_broken_links(range_size: int) -> None:
    _append_varied(10)
    _disable_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq IN (4, 5, 6)")
    result = verify_chain(range_size=range_size, chunk_size=2)
    assert (result.broken_seq, result.checked, result.problem) == (4, 3, "entry 4 is missing (next is 7)")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq > 6")
    result = verify_chain(range_size=range_size, chunk_size=2)
    assert (result.broken_seq, result.checked) == (4, 3)  # removed at the end: missing after the last one


def test_ranges_report_a_broken_link_at_a_range_boundary() -> None:
    _append_varied(6)
    _disable_guard()
    AuditEntry.objects.filter(seq=4).update(prev_hash="f" * 64)
    for range_size in (1, 3, 100):
        result = verify_chain(range_size=range_size)
        assert (result.broken_seq, result.checked, result.problem) == (4, 3, "link to the previous entry is broken")


@pytest.mark.django_db(transaction=True)
def test_parallel_verification_reports_the_first_changed_entry() -> None:
    """Forked workers (PostgreSQL, outside a transaction); elsewhere the same code runs in one process."""
    _append_varied(12)
    assert verify_chain(workers=2, range_size=3) == VerifyResult(12)
    _disable_guard()
    try:
        AuditEntry.objects.filter(seq=8).update(reason="rewritten")
        AuditEntry.objects.filter(seq=11).update(reason="rewritten")
        result = verify_chain(workers=2, range_size=3)
        assert (result.broken_seq, result.checked) == (8, 7)
    finally:  # committed here (no test transaction): restore the guard for the tests after this one
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_auditentry_append_only")
            else:
                cursor.execute(
                    "CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry "
                    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;"
                )
