"""Writing and verifying the audit chain. Every service function of every app calls ``record``."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, models, transaction
from django.utils import timezone

from .chain import canonical_entry, entry_hash, fast_canonical_json, format_at, normalise
from .models import GENESIS_HASH, AuditChainHead, AuditEntry


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audited values of ``instance``: concrete fields, foreign keys as their ids."""
    names = set(fields) if fields is not None else None
    values: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if names is not None and field.name not in names:
            continue
        if isinstance(field, models.FileField):
            values[field.name] = getattr(instance, field.attname).name or ""
        else:
            values[field.name] = getattr(instance, field.attname)
    return dict(normalise(values))


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    organisation: Any = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    source: str = "web",
) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction, so it commits with the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside transaction.atomic().")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    content_type_id = ContentType.objects.get_for_model(obj, for_concrete_model=False).pk if obj is not None else None
    fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "prev_hash": head.hash,
        "at": timezone.now(),
        "actor_id": actor_id,
        "actor_repr": str(actor) if actor_id else "system",
        "action": action,
        "content_type_id": content_type_id,
        "object_id": str(obj.pk) if obj is not None else "",
        "object_repr": str(obj)[:300] if obj is not None else "",
        "organisation_id": organisation.pk if isinstance(organisation, models.Model) else organisation,
        "before": normalise(before),
        "after": normalise(after),
        "reason": reason,
        "source": source,
    }
    digest = entry_hash(**fields)
    entry = AuditEntry.objects.create(hash=digest, **fields)
    head.seq, head.hash = entry.seq, digest
    head.save(update_fields=["seq", "hash"])
    return entry


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


VERIFY_FIELDS = (
    "seq",
    "prev_hash",
    "at",
    "actor_id",
    "actor_repr",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "organisation_id",
    "before",
    "after",
    "reason",
    "source",
    "hash",
)

#: Chains at least this long are verified in parallel processes (PostgreSQL, outside a transaction,
#: from the main thread only: the ``audit verify`` command and scripts, not the job runner's threads).
PARALLEL_MIN_ENTRIES = 200_000
#: Entries per range: the unit of work of one process.
RANGE_SIZE = 100_000

# PostgreSQL does the two slow conversions of a row: the timestamp, formatted exactly as ``format_at``
# does (UTC, microseconds, Z; years 1000-9999), and the JSON columns as text, parsed by ``json.loads``
# as the driver would. Reading them as values costs the driver more than hashing the row.
_PG_SELECT = (
    "SELECT seq, prev_hash, "
    """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), """
    "actor_id, actor_repr, action, content_type_id, object_id, object_repr, organisation_id, "
    "before::text, after::text, reason, source, hash "
    "FROM audit_auditentry WHERE seq > %s AND seq < %s ORDER BY seq LIMIT %s"
)


@dataclass(frozen=True)
class _RangeResult:
    """What one range of the chain says about itself; ``_join`` links the ranges in order."""

    count: int = 0  # rows read (up to and including a broken one)
    first_seq: int = 0
    first_prev: str = ""
    last_seq: int = 0
    last_hash: str = ""
    checked: int = 0  # rows verified before ``broken_seq``
    broken_seq: int | None = None
    problem: str = ""


def _canonical_rows(low: int, high: int, chunk_size: int) -> Iterator[tuple[int, str, str, str]]:
    """``(seq, prev_hash, canonical JSON, stored hash)`` of the rows with ``low <= seq < high``, in order.

    Keyset-paginated in chunks of ``chunk_size`` (no server-side cursor, no transaction needed)."""
    last = low - 1
    if connection.vendor == "postgresql":
        loads = json.loads
        # Many entries carry the same small payload ({"phone": …}, {"status": …}): canonicalise each
        # distinct JSON text once per range.
        seen: dict[str | None, str] = {None: "null"}
        while True:
            with connection.cursor() as cursor:
                cursor.execute(_PG_SELECT, [last, high, chunk_size])
                rows: list[Any] = cursor.fetchall()
            for (
                seq,
                prev,
                at,
                actor,
                actor_repr,
                action,
                ct,
                obj,
                obj_repr,
                org,
                before,
                after,
                why,
                src,
                stored,
            ) in rows:
                before_json = seen.get(before)
                if before_json is None:
                    before_json = seen[before] = fast_canonical_json(loads(before))
                after_json = seen.get(after)
                if after_json is None:
                    after_json = seen[after] = fast_canonical_json(loads(after))
                text = canonical_entry(
                    seq, prev, at, actor, actor_repr, action, ct, obj, obj_repr, org, before_json, after_json, why, src
                )
                yield seq, prev, text, stored
            if len(rows) < chunk_size:
                return
            last = rows[-1][0]
    while True:
        values = AuditEntry.objects.filter(seq__gt=last, seq__lt=high).order_by("seq").values_list(*VERIFY_FIELDS)
        rows = list[Any](values[:chunk_size])
        for seq, prev, at, actor, actor_repr, action, ct, obj, obj_repr, org, before, after, why, src, stored in rows:
            before_json, after_json = fast_canonical_json(before), fast_canonical_json(after)
            at_text = format_at(at)
            text = canonical_entry(
                seq, prev, at_text, actor, actor_repr, action, ct, obj, obj_repr, org, before_json, after_json, why, src
            )
            yield seq, prev, text, stored
        if len(rows) < chunk_size:
            return
        last = rows[-1][0]


def _verify_range(low: int, high: int, chunk_size: int, progress: Any = None, base: int = 0) -> _RangeResult:
    """Verify ``low <= seq < high`` on its own: consecutive numbers, links and hashes inside the range.

    The first row's own number and link are only reported (``first_seq``, ``first_prev``), for ``_join``."""
    rows = _canonical_rows(low, high, chunk_size)
    first = next(rows, None)
    if first is None:
        return _RangeResult()
    first_seq, first_prev = first[0], first[1]
    expected_seq, expected_prev = first_seq, first_prev
    checked = 0
    digest = hashlib.sha256
    for seq, prev_hash, text, stored_hash in itertools.chain((first,), rows):
        problem = ""
        if seq != expected_seq:
            return _RangeResult(
                checked + 1, first_seq, first_prev, seq, stored_hash, checked, expected_seq, f"missing:{seq}"
            )
        if prev_hash != expected_prev:
            problem = "link to the previous entry is broken"
        elif digest(text.encode()).hexdigest() != stored_hash:
            problem = "content does not match its hash"
        if problem:
            return _RangeResult(checked + 1, first_seq, first_prev, seq, stored_hash, checked, seq, problem)
        expected_prev = stored_hash
        expected_seq += 1
        checked += 1
        if progress is not None and (base + checked) % chunk_size == 0:
            progress(base + checked)
    return _RangeResult(checked, first_seq, first_prev, expected_seq - 1, expected_prev, checked)


def _verify_range_in_child(args: tuple[int, int, int]) -> _RangeResult:
    try:
        return _verify_range(*args)
    finally:
        connection.close()  # a forked worker opens its own connection; don't leave it to the pool's exit


def _parallel_workers(workers: int | None, entries: int) -> int:
    """Forking is safe only outside a transaction (the parent's connection is closed first) and only
    worth it on PostgreSQL (SQLite's tests and small databases verify in a blink)."""
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if connection.vendor != "postgresql" or connection.in_atomic_block or not forkable:
        return 1
    if workers is not None:
        return max(1, workers)
    if threading.current_thread() is not threading.main_thread() or entries < PARALLEL_MIN_ENTRIES:
        return 1
    return min(2, os.cpu_count() or 1)


def verify_chain(
    *, chunk_size: int = 20_000, progress: Any = None, workers: int | None = None, range_size: int = RANGE_SIZE
) -> VerifyResult:
    """Recompute every hash in order; report the first entry whose link or content is broken.

    The chain is read in ranges of ``range_size`` sequence numbers. Each range is verified on its own
    (numbers, links and hashes inside it); the ranges are then joined in order: a range must start
    right after the previous one ends, with a link to its last hash. The first problem in that order is
    the first broken entry, exactly as reading the chain from the start would find it. With
    ``workers`` > 1 ranges are verified in that many forked processes (default: 2 on PostgreSQL for
    long chains when called outside a transaction from the main thread, else 1).
    """
    bounds = AuditEntry.objects.aggregate(low=models.Min("seq"), high=models.Max("seq"))
    low, high = bounds["low"], bounds["high"]
    if low is None:
        ranges: list[tuple[int, int, int]] = []
    else:
        ranges = [(start, start + range_size, chunk_size) for start in range(low, high + 1, range_size)]
    workers = _parallel_workers(workers, (high - low + 1) if low is not None else 0)
    if workers > 1 and len(ranges) > 1:
        connections.close_all()  # the forked processes must not share the parent's connections
        context = multiprocessing.get_context("fork")
        with context.Pool(min(workers, len(ranges))) as pool:
            result, last_hash = _join(pool.imap(_verify_range_in_child, ranges), progress, chunk_size)
            pool.terminate()  # stop at the first broken range; the rest is not needed
    else:
        done = 0

        def sequential() -> Iterator[_RangeResult]:
            nonlocal done
            for low_seq, high_seq, size in ranges:
                part = _verify_range(low_seq, high_seq, size, progress, done)
                done += part.checked
                yield part

        result, last_hash = _join(sequential(), None, chunk_size)
    if not result.ok:
        return result
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != result.checked or head.hash != last_hash):
        return VerifyResult(result.checked, result.checked + 1, "entries after the last one found are missing")
    return VerifyResult(result.checked)


def _join(parts: Iterable[_RangeResult], progress: Any, chunk_size: int) -> tuple[VerifyResult, str]:
    """Link the ranges in order: the result (the first broken entry, if any) and the last hash."""
    expected_seq, expected_prev = 1, GENESIS_HASH
    checked = 0
    for part in parts:
        if not part.count:
            continue
        if part.first_seq != expected_seq:
            missing = f"entry {expected_seq} is missing (next is {part.first_seq})"
            return VerifyResult(checked, expected_seq, missing), expected_prev
        if part.first_prev != expected_prev:
            return VerifyResult(checked, part.first_seq, "link to the previous entry is broken"), expected_prev
        if part.broken_seq is not None:
            problem = part.problem
            if problem.startswith("missing:"):
                problem = f"entry {part.broken_seq} is missing (next is {problem.removeprefix('missing:')})"
            return VerifyResult(checked + part.checked, part.broken_seq, problem), expected_prev
        before = checked
        checked += part.checked
        expected_seq, expected_prev = part.last_seq + 1, part.last_hash
        if progress is not None and checked // chunk_size > before // chunk_size:
            progress(checked)
    return VerifyResult(checked), expected_prev
