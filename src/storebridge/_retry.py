"""When and how long to wait before re-sending a request."""

from __future__ import annotations

import random

import attrs

from storebridge._option_checks import fraction, seconds, whole

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@attrs.frozen
class RetryPolicy:
    """Capped exponential backoff with jitter; ``Retry-After`` wins when the platform sends it.

    ``max_attempts`` counts the first try. Idempotent requests are retried on connection
    errors, timeouts, 408, 429 and 5xx. Writes are retried only when they certainly did not
    reach the platform (connection refused, 429).
    """

    max_attempts: int = attrs.field(default=4, validator=whole(1))
    base_delay: float = attrs.field(default=0.5, validator=seconds(zero=True))
    max_delay: float = attrs.field(default=30.0, validator=seconds(zero=True))
    max_retry_after: float = attrs.field(default=120.0, validator=seconds(zero=True))
    jitter: float = attrs.field(default=0.5, validator=fraction)
    """Fraction of each delay that is randomised (0: none, 1: full jitter)."""

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before try number ``attempt + 1`` (``attempt`` >= 1)."""
        delay = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return float(delay * (1 - self.jitter) + delay * self.jitter * rng.random())

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.backoff(attempt, rng)


NO_RETRIES = RetryPolicy(max_attempts=1)
