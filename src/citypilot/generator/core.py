"""The generator's machinery: targets per scale, the step registry, fast inserts and the audit chain.

A *step* is one function ``def make_things(ctx: Context) -> int`` registered with ``@step("things")``;
it writes its rows with ``ctx.insert`` (explicit primary keys from ``ctx.allocate``, so no row has to be
read back) and tells the audit step what history its rows have with ``ctx.audit_stream``. Adding a
model to the generator is adding one such function to ``steps.py``.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, and every timestamp lies on a
fixed timeline (2012 to 2025), so the same seed and scale make the same data on SQLite and PostgreSQL.
Rows go in with ``executemany`` on SQLite and ``COPY`` on PostgreSQL, in chunks.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, models, transaction

from citypilot.audit.chain import entry_hash, normalise
from citypilot.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry

TIMELINE_START = datetime(2012, 3, 1, tzinfo=UTC)
TIMELINE_END = datetime(2025, 12, 31, tzinfo=UTC)
CHUNK = 5000

# What scale 1 means; scale 10 is the national-scale target.
PER_SCALE = {
    "pilots": 300,
    "users": 2_000,
    "documents": 20_000,
    "audit_entries": 200_000,
    "submissions": 10_000,
}


@dataclass(frozen=True)
class Targets:
    pilots: int
    users: int
    documents: int
    audit_entries: int
    submissions: int

    @classmethod
    def for_scale(cls, scale: float) -> Targets:
        return cls(**{name: max(1, round(per * scale)) for name, per in PER_SCALE.items()})


@dataclass(frozen=True)
class AuditSpec:
    """One audit entry to write: everything but its place in the chain."""

    at: datetime
    action: str
    model: type[models.Model] | None
    object_id: Any
    object_repr: str
    organisation_id: int | None
    actor_id: int | None = None
    actor_repr: str = "system"
    before: Any = None
    after: Any = None
    reason: str = ""
    source: str = "generator"


@dataclass
class AuditStream:
    count: int
    specs: Callable[[], Iterator[AuditSpec]]  # in order of ``at``


@dataclass
class Step:
    name: str
    func: Callable[[Context], int]


STEPS: list[Step] = []


def step(name: str) -> Callable[[Callable[[Context], int]], Callable[[Context], int]]:
    """Register a generator step; steps run in the order they are defined."""

    def register(func: Callable[[Context], int]) -> Callable[[Context], int]:
        STEPS.append(Step(name, func))
        return func

    return register


@dataclass
class Context:
    scale: float
    seed: int
    log: Callable[[str], None] = print
    rng: random.Random = field(init=False)
    targets: Targets = field(init=False)
    made: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    streams: list[AuditStream] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)  # what one step leaves for the next
    _next_ids: dict[type[models.Model], int] = field(default_factory=dict)
    _touched: set[type[models.Model]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - reproducible data, not secrets
        self.targets = Targets.for_scale(self.scale)

    # --- time -----------------------------------------------------------------------------
    def moment(self, start: datetime = TIMELINE_START, end: datetime = TIMELINE_END) -> datetime:
        span = (end - start).total_seconds()
        return start + timedelta(seconds=round(self.rng.random() * span, 6))

    def moments(self, n: int, start: datetime = TIMELINE_START, end: datetime = TIMELINE_END) -> list[datetime]:
        return sorted(self.moment(start, end) for _ in range(n))

    # --- rows -----------------------------------------------------------------------------
    def allocate(self, model: type[models.Model], n: int) -> range:
        """``n`` fresh primary keys for ``model`` (the sequence is reset at the end on PostgreSQL)."""
        first = self._next_ids.get(model)
        if first is None:
            first = (model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        self._next_ids[model] = first + n
        return range(first, first + n)

    def insert(self, model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
        """Insert ``rows`` (attname → value, primary key included); missing fields get their default."""
        return insert_rows(model, rows, touched=self._touched)

    def audit_stream(self, count: int, specs: Callable[[], Iterator[AuditSpec]]) -> None:
        self.streams.append(AuditStream(count, specs))

    def reset_sequences(self) -> None:
        if connection.vendor != "postgresql" or not self._touched:
            return
        statements = connection.ops.sequence_reset_sql(no_style(), sorted(self._touched, key=lambda m: m.__name__))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


_PREPARED_FIELDS = (models.DateTimeField, models.DateField, models.JSONField, models.DecimalField)


def insert_rows(
    model: type[models.Model], rows: Iterable[dict[str, Any]], *, touched: set[type[models.Model]] | None = None
) -> int:
    fields = list(model._meta.concrete_fields)
    columns = [str(f.column) for f in fields]
    prepared = [isinstance(f, _PREPARED_FIELDS) for f in fields]
    defaults: list[Any] = []
    for f in fields:
        default = f.get_default()
        defaults.append(_MISSING if default is None and not f.null else default)
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    total = 0

    def to_row(values: dict[str, Any]) -> tuple[Any, ...]:
        row = []
        for f, default, prep in zip(fields, defaults, prepared, strict=True):
            value = values.get(f.attname, default)
            if value is _MISSING:
                raise ValueError(f"{model.__name__}.{f.attname} needs a value")
            if prep and value is not None:
                value = f.get_db_prep_value(value, connection, prepared=False)
            row.append(value)
        return tuple(row)

    iterator = iter(rows)
    while chunk := [to_row(values) for values in itertools.islice(iterator, CHUNK)]:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", chunk)  # noqa: S608
        total += len(chunk)
    if touched is not None and total:
        touched.add(model)
    return total


class _Missing:
    pass


_MISSING = _Missing()


# --- the audit chain -------------------------------------------------------------------------
AUDIT_FIELDS = (
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
)


def write_audit(ctx: Context, filler: Callable[[Context, int], Iterator[AuditSpec]]) -> int:
    """Append the history of every generated row, topped up with ``filler`` entries to the target.

    Entries are appended in time order after whatever the chain already holds, in chunks; each chunk
    locks the chain head, computes its hashes with ``audit.chain.entry_hash`` and moves the head in the
    same transaction, so the chain verifies after every chunk, even with other writers at work.
    """
    existing = AuditEntry.objects.count()
    from_streams = sum(s.count for s in ctx.streams)
    extra = max(0, ctx.targets.audit_entries - existing - from_streams)
    merged = heapq.merge(*(s.specs() for s in ctx.streams), filler(ctx, extra), key=lambda spec: spec.at)
    content_types: dict[type[models.Model], int] = {}
    written = 0
    started = time.monotonic()
    iterator = iter(merged)
    while chunk := list(itertools.islice(iterator, CHUNK * 4)):
        with transaction.atomic():
            head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
            seq, prev = head.seq, head.hash or GENESIS_HASH
            rows = []
            for spec in chunk:
                seq += 1
                content_type_id = None
                if spec.model is not None:
                    if spec.model not in content_types:
                        content_types[spec.model] = ContentType.objects.get_for_model(
                            spec.model, for_concrete_model=False
                        ).pk
                    content_type_id = content_types[spec.model]
                values = {
                    "seq": seq,
                    "prev_hash": prev,
                    "at": spec.at,
                    "actor_id": spec.actor_id,
                    "actor_repr": spec.actor_repr,
                    "action": spec.action,
                    "content_type_id": content_type_id,
                    "object_id": str(spec.object_id) if spec.object_id is not None else "",
                    "object_repr": spec.object_repr[:300],
                    "organisation_id": spec.organisation_id,
                    "before": normalise(spec.before),
                    "after": normalise(spec.after),
                    "reason": spec.reason,
                    "source": spec.source,
                }
                prev = entry_hash(**values)
                values["hash"] = prev
                rows.append(values)
            insert_rows(AuditEntry, rows)
            head.seq, head.hash = seq, prev
            head.save(update_fields=["seq", "hash"])
        written += len(chunk)
        if written % (CHUNK * 40) < CHUNK * 4:
            ctx.log(f"  audit: {written:,} entries ({written / (time.monotonic() - started):,.0f}/s)")
    return written


def content_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
