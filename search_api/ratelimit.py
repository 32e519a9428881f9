"""Rate limits per API key or client address, with the `limits` library (moving window).

Two budgets: `search` (every route that runs a query: /search, /bandi, /normativa, /similar, the web pages) and
`upload` (document submissions, and /similar with a file, which extracts and maybe OCRs it). A caller is counted
by its key when it sends a valid one (the write or the read key), otherwise by its address. An invalid key never
picks the bucket, so rotating made-up keys does not reset the count. Behind a proxy, the address is the proxy's
unless uvicorn trusts it (`FORWARDED_ALLOW_IPS`).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from enum import StrEnum

import limits
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request

from kb.settings import Settings
from search_api.errors import ApiError

API_KEY_HEADER = "X-API-Key"


class Budget(StrEnum):
    search = "search"
    upload = "upload"


def key_matches(given: str | None, *expected: str) -> bool:
    """Constant-time comparison against every configured key (empty ones never match)."""
    if not given:
        return False
    given_bytes = given.encode()
    matched = False
    for key in expected:
        # no short circuit: the time does not tell which key (or how much of it) matched
        matched |= bool(key) and secrets.compare_digest(given_bytes, key.encode())
    return matched


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self._keys = (settings.api_key, settings.read_api_key)
        self._items = {Budget.search: limits.parse(settings.rate_limit_search),
                       Budget.upload: limits.parse(settings.rate_limit_upload)}
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))

    def identity(self, request: Request) -> str:
        given = request.headers.get(API_KEY_HEADER)
        if key_matches(given, *self._keys):
            return "key:" + hashlib.sha256(str(given).encode()).hexdigest()[:16]
        return "ip:" + (request.client.host if request.client else "sconosciuto")

    def check(self, budget: Budget, request: Request) -> None:
        """Count one request against `budget`; over the limit: 429 with `Retry-After` (seconds)."""
        if not self.enabled:
            return
        item, who = self._items[budget], self.identity(request)
        if self._limiter.hit(item, budget.value, who):
            return
        reset = self._limiter.get_window_stats(item, budget.value, who).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        what = "ricerche" if budget is Budget.search else "invii di documenti"
        raise ApiError(429, "troppe_richieste",
                       f"troppe {what}: il limite è {item.amount} ogni {_period(item)}; riprovare tra {wait} s",
                       headers={"Retry-After": str(wait)})


def _period(item: limits.RateLimitItem) -> str:
    names = {"second": ("secondo", "secondi"), "minute": ("minuto", "minuti"), "hour": ("ora", "ore"),
             "day": ("giorno", "giorni"), "month": ("mese", "mesi"), "year": ("anno", "anni")}
    one, many = names.get(item.GRANULARITY.name, (item.GRANULARITY.name, item.GRANULARITY.name))
    return one if item.multiples == 1 else f"{item.multiples} {many}"
