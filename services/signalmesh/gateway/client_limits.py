"""Fair sharing between API clients: each client's events per second (a token bucket) and its
concurrent streams, so one client's flood waits for its own quota instead of everyone's latency.

Pure: the clock is passed in, and a refusal is a value (:class:`OverLimit`) the servicer turns
into ``RESOURCE_EXHAUSTED`` with ``RetryInfo``. A refusal happens before anything of the call is
accepted: a batch is paid for whole or refused whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from signalmesh.gateway.rate_limit import RateLimiter

# A refused stream cannot know when another of the client's streams will end: retry after this
# (streams are long-lived; a client over its count is misconfigured, and must not churn).
STREAM_RETRY_SECONDS = 5.0
# Quota of a call with no client name (no auth configured): all such callers share one.
ANONYMOUS = ""


@dataclass(frozen=True, slots=True)
class ClientQuota:
    """One client's limits; 0 means no limit."""

    events_per_second: float = 0.0
    # Events a client may send at once after a quiet spell (a whole batch must fit, or waits
    # for a full bucket). 0: one second's worth.
    burst: float = 0.0
    max_concurrent_streams: int = 0

    @property
    def bucket_size(self) -> float:
        return self.burst or self.events_per_second


@dataclass(frozen=True, slots=True)
class OverLimit:
    """Why a call was refused, and when retrying can succeed."""

    client: str
    limit: str  # the [[clients]] setting that was exceeded
    retry_after_seconds: float
    description: str


class ClientLimits:
    """Per-client token buckets and stream counts; one instance per gateway process."""

    def __init__(
        self,
        quotas: Mapping[str, ClientQuota],
        default: ClientQuota = ClientQuota(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._quotas = dict(quotas)
        self._default = default
        self._clock = clock
        self._buckets: dict[str, RateLimiter] = {}
        self._streams: dict[str, int] = {}

    def quota(self, client: str | None) -> ClientQuota:
        return self._quotas.get(client or ANONYMOUS, self._default)

    def take_events(self, client: str | None, count: int) -> OverLimit | None:
        """Pay for ``count`` events now, or refuse them all (nothing taken) with a retry delay."""
        name = client or ANONYMOUS
        quota = self.quota(name)
        if quota.events_per_second <= 0 or count <= 0:
            return None
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = RateLimiter(quota.events_per_second, quota.bucket_size)
        wait = bucket.try_take(count, self._clock())
        if wait <= 0:
            return None
        return OverLimit(
            client=name,
            limit="events_per_second",
            retry_after_seconds=wait,
            description=(
                f"client {name!r} may send {quota.events_per_second:g} events per second "
                f"(bursts of {quota.bucket_size:g}); these {count} event(s) fit in {wait:.3f}s"
            ),
        )

    def open_stream(self, client: str | None) -> OverLimit | None:
        """Count one more open stream for the client, or refuse it (nothing counted)."""
        name = client or ANONYMOUS
        limit = self.quota(name).max_concurrent_streams
        open_now = self._streams.get(name, 0)
        if limit > 0 and open_now >= limit:
            return OverLimit(
                client=name,
                limit="max_concurrent_streams",
                retry_after_seconds=STREAM_RETRY_SECONDS,
                description=(
                    f"client {name!r} may have {limit} StreamEvents streams open at once and has "
                    f"{open_now}; send on an open stream or close one first"
                ),
            )
        self._streams[name] = open_now + 1
        return None

    def close_stream(self, client: str | None) -> None:
        name = client or ANONYMOUS
        remaining = self._streams.get(name, 0) - 1
        if remaining > 0:
            self._streams[name] = remaining
        else:
            self._streams.pop(name, None)

    def open_streams(self, client: str | None) -> int:
        return self._streams.get(client or ANONYMOUS, 0)
