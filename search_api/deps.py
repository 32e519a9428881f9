"""Dependencies routes declare with `Annotated`: the services, today's date, the keys, the rate limits."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from search_api.errors import ApiError
from search_api.hosts import base_url
from search_api.ratelimit import API_KEY_HEADER, Budget, key_matches
from search_api.services import Services


async def get_services(request: Request) -> Services:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise ApiError(503, "servizio_in_avvio", "il servizio si sta avviando: riprovare tra poco",
                       headers={"Retry-After": "5"})
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_today(services: ServicesDep) -> dt.date:
    return services.today()


TodayDep = Annotated[dt.date, Depends(get_today)]


async def get_base_url(request: Request, services: ServicesDep) -> str:
    """Where links point: KB_PUBLIC_URL, else this request's host, which the trusted-host middleware checked."""
    return base_url(services.settings.public_url, request)


BaseUrlDep = Annotated[str, Depends(get_base_url)]


api_key_header = APIKeyHeader(name=API_KEY_HEADER, scheme_name="ChiaveAPI", auto_error=False,
                              description="Chiave di scrittura (invio ed eliminazione); se il server ha una chiave di "
                                          "lettura (KB_READ_API_KEY), quella o la chiave di scrittura per leggere")
GivenKey = Annotated[str | None, Depends(api_key_header)]


def require_write_key(request: Request, services: ServicesDep, x_api_key: GivenKey) -> None:
    """401 without a key, 403 with a wrong one (or when the server has no key: writes are then disabled).
    A refused attempt counts against the caller's search budget: guessing the key is rate limited."""
    expected = services.settings.api_key
    if expected and key_matches(x_api_key, expected):
        return
    services.limiter.check(Budget.search, request)
    if not x_api_key:
        raise ApiError(401, "chiave_mancante", "serve l'intestazione X-API-Key con la chiave di scrittura",
                       headers={"WWW-Authenticate": "ApiKey"})
    if not expected:
        raise ApiError(403, "scritture_disabilitate",
                       "le scritture sono disabilitate: il server non ha una chiave (KB_API_KEY)")
    raise ApiError(403, "chiave_non_valida", "chiave X-API-Key non valida")


WriteKey = Annotated[None, Depends(require_write_key)]


def require_read_key(request: Request, services: ServicesDep, x_api_key: GivenKey) -> None:
    """With KB_READ_API_KEY set: reads need it (or the write key) in X-API-Key. `create_app` adds this dependency
    to the read routers only when a read key is configured, so an open service declares no security on reads.
    A refused attempt counts against the caller's search budget: guessing keys is rate limited like searching."""
    settings = services.settings
    if not settings.read_api_key or key_matches(x_api_key, settings.read_api_key, settings.api_key):
        return
    services.limiter.check(Budget.search, request)
    if not x_api_key:
        raise ApiError(401, "chiave_mancante", "serve l'intestazione X-API-Key con la chiave di lettura",
                       headers={"WWW-Authenticate": "ApiKey"})
    raise ApiError(403, "chiave_non_valida", "chiave X-API-Key non valida")


def limit_searches(request: Request, services: ServicesDep) -> None:
    services.limiter.check(Budget.search, request)


def limit_uploads(request: Request, services: ServicesDep) -> None:
    services.limiter.check(Budget.upload, request)


# side effects only (no value): declared in the route decorators, `dependencies=[SEARCH_LIMIT]`
SEARCH_LIMIT = Depends(limit_searches)
UPLOAD_LIMIT = Depends(limit_uploads)
