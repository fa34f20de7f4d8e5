"""Writing and verifying the audit chain. Every service function of every app calls ``record``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from .chain import entry_hash, normalise
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


def verify_chain(*, chunk_size: int = 5000, progress: Any = None) -> VerifyResult:
    """Recompute every hash in order; report the first entry whose link or content is broken."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    rows = AuditEntry.objects.order_by("seq").values_list(*VERIFY_FIELDS).iterator(chunk_size=chunk_size)
    for row in rows:
        fields = dict(zip(VERIFY_FIELDS, row, strict=True))
        stored_hash = fields.pop("hash")
        seq = fields["seq"]
        if seq != expected_seq:
            return VerifyResult(checked, expected_seq, f"entry {expected_seq} is missing (next is {seq})")
        if fields["prev_hash"] != expected_prev:
            return VerifyResult(checked, seq, "link to the previous entry is broken")
        if entry_hash(**fields) != stored_hash:
            return VerifyResult(checked, seq, "content does not match its hash")
        expected_prev = stored_hash
        expected_seq += 1
        checked += 1
        if progress is not None and checked % chunk_size == 0:
            progress(checked)
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.hash != expected_prev):
        return VerifyResult(checked, checked + 1, "entries after the last one found are missing")
    return VerifyResult(checked)
