"""API keys kept in the store (``signalmesh keys new|revoke|list``), so keys change without a restart.

Only the key's SHA-256 is kept, with the client it names, its scopes and destinations, and its
expiry and revocation times. Both backends keep one record per digest as JSON: SQLite in the
``api_keys`` table, Redis in one hash. :class:`ApiKeyRecord` is the shape either returns.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

API_KEYS_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_sha256 TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL UNIQUE,
    record     TEXT NOT NULL
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    key_id: str  # shown by `keys list` and used by `keys revoke`: the digest's first 12 hex digits
    key_sha256: str
    client: str
    scopes: tuple[str, ...]
    destinations: tuple[str, ...] | None
    created_at: float
    expires_at: float | None = None
    revoked_at: float | None = None

    def valid_at(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


def key_id_of(key_sha256: str) -> str:
    return key_sha256[:12]


def to_json(record: ApiKeyRecord) -> str:
    return json.dumps(asdict(record), sort_keys=True)


def from_json(raw: str) -> ApiKeyRecord:
    fields = json.loads(raw)
    destinations = fields.get("destinations")
    return ApiKeyRecord(
        key_id=str(fields["key_id"]),
        key_sha256=str(fields["key_sha256"]),
        client=str(fields["client"]),
        scopes=tuple(fields["scopes"]),
        destinations=tuple(destinations) if destinations is not None else None,
        created_at=float(fields["created_at"]),
        expires_at=None if fields.get("expires_at") is None else float(fields["expires_at"]),
        revoked_at=None if fields.get("revoked_at") is None else float(fields["revoked_at"]),
    )
