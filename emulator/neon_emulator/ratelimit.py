"""Sliding-window rate limiter: N requests per minute per account and M per
second per route per account [DOCS: 700/min, bursts up to 40/s per route]."""

import collections
import threading
import time


class RateLimiter:
    def __init__(self, per_minute=700, per_route_per_second=40, clock=time.monotonic):
        self.per_minute = per_minute
        self.per_route_per_second = per_route_per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._account = collections.defaultdict(collections.deque)
        self._route = collections.defaultdict(collections.deque)

    def allow(self, account, route):
        """Count the request and return True, or return False (refused requests are not counted)."""
        now = self._clock()
        with self._lock:
            window = self._account[account]
            while window and window[0] <= now - 60.0:
                window.popleft()
            burst = self._route[(account, route)]
            while burst and burst[0] <= now - 1.0:
                burst.popleft()
            if len(window) >= self.per_minute or len(burst) >= self.per_route_per_second:
                return False
            window.append(now)
            burst.append(now)
            return True

    def reset(self):
        with self._lock:
            self._account.clear()
            self._route.clear()
