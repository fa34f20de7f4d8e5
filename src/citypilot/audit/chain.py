"""The canonical form of an audit entry and its hash: one definition for writing and verifying."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def canonical_json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def normalise(value: Any) -> Any:
    """Turn a before/after payload into plain JSON, exactly as the database will give it back."""
    if value is None:
        return None
    return json.loads(canonical_json(value))


def entry_hash(
    *,
    seq: int,
    prev_hash: str,
    at: datetime,
    actor_id: int | None,
    actor_repr: str,
    action: str,
    content_type_id: int | None,
    object_id: str,
    object_repr: str,
    organisation_id: int | None,
    before: Any,
    after: Any,
    reason: str,
    source: str,
) -> str:
    payload = [
        seq,
        prev_hash,
        at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        actor_id,
        actor_repr,
        action,
        content_type_id,
        object_id,
        object_repr,
        organisation_id,
        before,
        after,
        reason,
        source,
    ]
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()
