"""Per-destination rate limit: a token bucket, so a burst of due entries never exceeds the
requests per second a platform allows (and earns a 429). Pure: the clock is passed in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class RateLimiter:
    """A token bucket: at most ``rate`` requests per second, bursts up to ``burst``."""

    rate: float
    burst: float
    tokens: float = 0.0
    updated_at: float | None = None

    def delay_for_next(self, now: float) -> float:
        """Take a token; return how long to wait before sending (0 when one was available)."""
        if self.updated_at is None:
            self.tokens, self.updated_at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.updated_at) * self.rate)
        self.updated_at = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def try_take(self, count: int, now: float) -> float:
        """Take ``count`` tokens if the bucket can pay now; else take nothing and return how
        long until it can (refusal before anything is accepted, for a caller that retries).

        A ``count`` above ``burst`` can never be held, so it is taken when the bucket is full
        and the debt (negative tokens) delays the next take: the long-run rate still holds.
        """
        if self.updated_at is None:
            self.tokens, self.updated_at = self.burst, now
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated_at) * self.rate)
        self.updated_at = max(self.updated_at, now)
        needed = min(float(count), self.burst)
        if self.tokens + 1e-9 >= needed:  # a wait of exactly the returned delay suffices
            self.tokens -= count
            return 0.0
        return (needed - self.tokens) / self.rate
