"""Every error the API returns, mapped in one place: Italian message + stable machine code, never a trace."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from qdrant_client.http.exceptions import ResponseHandlingException
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.storage.backends.base import IndexUnavailableError
from search_api.http_methods import allowed_methods
from search_api.security import API_RESPONSE_HEADERS

logger = logging.getLogger("kb.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details or [], headers


def not_found(what: str) -> ApiError:
    return ApiError(404, "non_trovato", f"{what} non trovato")


_HTTP_CODES = {
    400: ("richiesta_malformata", "corpo della richiesta illeggibile (JSON o modulo malformato)"),
    401: ("non_autenticato", "autenticazione richiesta"),
    403: ("non_autorizzato", "operazione non consentita"),
    404: ("non_trovato", "risorsa non trovata"),
    405: ("metodo_non_consentito", "metodo HTTP non consentito per questo indirizzo"),
    413: ("file_troppo_grande", "contenuto troppo grande"),
    415: ("tipo_non_supportato", "tipo di contenuto non supportato"),
    429: ("troppe_richieste", "troppe richieste: riprovare più tardi"),
}


def _translate(error: dict[str, Any]) -> str:
    """Pydantic's error, in Italian."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    expected = str(ctx.get("expected", "")).replace(" or ", " o ")  # pydantic writes "'a', 'b' or 'c'"
    messages = {
        "missing": "campo obbligatorio",
        "string_too_short": "testo troppo corto",
        "string_too_long": f"testo troppo lungo (massimo {ctx.get('max_length')} caratteri)",
        "too_long": f"troppi valori (massimo {ctx.get('max_length')})",
        "greater_than_equal": f"deve essere almeno {ctx.get('ge')}",
        "greater_than": f"deve essere maggiore di {ctx.get('gt')}",
        "less_than_equal": f"deve essere al massimo {ctx.get('le')}",
        "less_than": f"deve essere minore di {ctx.get('lt')}",
        "int_parsing": "deve essere un numero intero",
        "int_type": "deve essere un numero intero",
        "float_parsing": "deve essere un numero",
        "bool_parsing": "deve essere vero o falso (true/false)",
        "enum": f"valore non ammesso: scegliere tra {expected}",
        "literal_error": f"valore non ammesso: scegliere tra {expected}",
        "extra_forbidden": "parametro sconosciuto",
        "json_invalid": "JSON non valido",
        "date_from_datetime_parsing": "data non valida (formato AAAA-MM-GG)",
        "date_parsing": "data non valida (formato AAAA-MM-GG)",
        "list_type": "atteso un elenco di valori",
        "string_type": "atteso un testo",
        "dict_type": "atteso un oggetto JSON",
        "model_attributes_type": "atteso un oggetto JSON",
    }
    if kind == "value_error":
        message = str(error.get("msg", "valore non valido")).removeprefix("Value error, ")
        # our validators speak Italian; FastAPI's own check of file fields does not
        return "atteso un file" if message.startswith("Expected UploadFile") else message
    return messages.get(kind, "valore non valido")


def _field(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in loc if p not in ("query", "body", "path", "header", "form")]
    return ".".join(parts) or None


def validation_details(errors: Any) -> list[dict[str, Any]]:
    return [{"campo": _field(e.get("loc", ())), "messaggio": _translate(e)} for e in errors]


def error_body(request: Request, status: int, code: str, message: str,
               details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    body = {"error": {"code": code, "message": message, "details": details or [], "request_id": request_id}}
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_body(request, exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = validation_details(exc.errors())
        summary = "; ".join(f"{d['campo']}: {d['messaggio']}" if d["campo"] else d["messaggio"] for d in details)
        return error_body(request, 422, "richiesta_non_valida", f"richiesta non valida: {summary}"[:500], details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_CODES.get(exc.status_code, ("errore_http", "richiesta non eseguibile"))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # Starlette names the methods of the first route on the path only
            headers["Allow"] = allowed_methods(request.app, request.scope)
        return error_body(request, exc.status_code, code, message, headers=headers or None)

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        logger.error("index unavailable: %r", exc)
        return error_body(request, 503, "indice_non_disponibile",
                          "l'indice dei documenti non è al momento disponibile: riprovare tra poco",
                          headers={"Retry-After": "5"})

    # the Edge backend raises IndexUnavailableError; qdrant-client raises these when the server cannot be reached
    for unavailable in (IndexUnavailableError, ResponseHandlingException, httpx.TransportError):
        app.add_exception_handler(unavailable, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_body(request, 500, "errore_interno", "errore interno del servizio: è stato registrato",
                          headers=API_RESPONSE_HEADERS)
