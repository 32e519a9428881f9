"""Dependencies routes declare with `Annotated`: the services, today's date, the write key."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated

from fastapi import Depends, Header, Request

from search_api.errors import ApiError
from search_api.services import Services


def get_services(request: Request) -> Services:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise ApiError(503, "servizio_in_avvio", "il servizio si sta avviando: riprovare tra poco",
                       headers={"Retry-After": "5"})
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_today(services: ServicesDep) -> dt.date:
    return services.today()


TodayDep = Annotated[dt.date, Depends(get_today)]


def get_base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


BaseUrlDep = Annotated[str, Depends(get_base_url)]


def require_write_key(services: ServicesDep,
                      x_api_key: Annotated[str | None, Header(description="Chiave per le scritture")] = None) -> None:
    """401 without a key, 403 with a wrong one (or when the server has no key: writes are then disabled)."""
    expected = services.settings.api_key
    if not x_api_key:
        raise ApiError(401, "chiave_mancante", "serve l'intestazione X-API-Key con la chiave di scrittura",
                       headers={"WWW-Authenticate": "ApiKey"})
    if not expected:
        raise ApiError(403, "scritture_disabilitate",
                       "le scritture sono disabilitate: il server non ha una chiave (KB_API_KEY)")
    if not secrets.compare_digest(x_api_key.encode(), expected.encode()):
        raise ApiError(403, "chiave_non_valida", "chiave X-API-Key non valida")


WriteKey = Annotated[None, Depends(require_write_key)]
