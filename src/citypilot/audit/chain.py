"""The canonical form of an audit entry and its hash: one definition for writing and verifying."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


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
        at.astimezone(UTC).strftime(AT_FORMAT),
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


# --- Fast path for verifying ------------------------------------------------------------------
# ``verify_chain`` recomputes millions of hashes. The helpers below build exactly the same bytes as
# ``entry_hash`` (``tests/audit/test_chain.py`` checks it on generated payloads) without building a
# keyword dict, a payload list and a new JSON encoder per entry.

#: The encoder ``canonical_json`` builds on every call, built once: same class, same options.
_ENCODER = DjangoJSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
# The C encoder ``_ENCODER.encode`` makes for every call, made once (no circular-reference markers:
# values read back from JSON columns cannot be circular).
_C_ENCODE = (
    c_make_encoder(None, _ENCODER.default, encode_basestring, None, ":", ",", True, False, True)
    if c_make_encoder is not None
    else None
)


def fast_canonical_json(value: Any) -> str:
    """``canonical_json(value)``, byte for byte, for the values JSON columns give back (and any other)."""
    if _C_ENCODE is None or isinstance(value, str):
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def format_at(at: datetime) -> str:
    """The timestamp as it enters the hash: UTC, microseconds, ``Z``."""
    return at.astimezone(UTC).strftime(AT_FORMAT)


def canonical_entry(
    seq: int,
    prev_hash: str,
    at_text: str,
    actor_id: int | None,
    actor_repr: str,
    action: str,
    content_type_id: int | None,
    object_id: str,
    object_repr: str,
    organisation_id: int | None,
    before_json: str,
    after_json: str,
    reason: str,
    source: str,
) -> str:
    """``canonical_json`` of ``entry_hash``'s payload, from the column values as the database gives them
    (text columns ``str``, ids ``int`` or ``None``), the timestamp already formatted (``format_at``) and
    ``before``/``after`` already in canonical JSON (``fast_canonical_json``)."""
    s = encode_basestring
    return (
        f"[{seq},{s(prev_hash)},{s(at_text)},{'null' if actor_id is None else actor_id},{s(actor_repr)},"
        f"{s(action)},{'null' if content_type_id is None else content_type_id},{s(object_id)},"
        f"{s(object_repr)},{'null' if organisation_id is None else organisation_id},{before_json},{after_json},"
        f"{s(reason)},{s(source)}]"
    )
