"""Operations and errors: health, readiness, metrics, request ids, CORS, Italian errors, 503, OpenAPI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.storage.backends.base import IndexUnavailableError
from search_api.observability import JsonFormatter
from tests.search_api.api_fixture import LOCAL_URL


def test_health_ready_and_metrics(api: TestClient) -> None:
    assert api.get("/health").json()["status"] == "ok"
    ready = api.get("/ready").json()
    assert ready["status"] == "ready" and ready["chunks"] > 12
    api.get("/search", params={"q": "energia"})
    metrics = api.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert 'kb_http_requests_total{method="GET",route="/search",status="200"}' in metrics.text
    assert "kb_http_request_duration_seconds_bucket" in metrics.text and "kb_index_chunks" in metrics.text


def test_request_ids_are_echoed_or_made(api: TestClient) -> None:
    assert api.get("/health", headers={"X-Request-ID": "portale-42"}).headers["x-request-id"] == "portale-42"
    made = api.get("/health", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"]
    assert len(made) == 32 and made != "bad id"
    error = api.get("/search")
    assert error.json()["error"]["request_id"] == error.headers["x-request-id"]


def test_access_log_is_one_json_line_per_request(api: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="kb.access"):
        api.get("/search", params={"q": "piste ciclabili"}, headers={"X-Request-ID": "abc-1"})
    record = next(r for r in caplog.records if r.name == "kb.access")
    assert record.request_id == "abc-1" and record.status == 200 and record.route == "/search"  # type: ignore[attr-defined]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc-1" and line["duration_ms"] >= 0 and line["level"] == "info"


def test_cors_allows_the_configured_portal_only(api: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "GET"}
    allowed = api.options("/search", headers={"Origin": "https://portale.example.it", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://portale.example.it"
    other = api.get("/health", headers={"Origin": "https://altro.example.com"})
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(("params", "field", "words"), [
    ({}, "q", "obbligatorio"),
    ({"q": "x" * 501}, "q", "troppo lungo"),
    ({"q": "energia", "page": 0}, "page", "almeno 1"),
    ({"q": "energia", "page_size": 500}, "page_size", "al massimo 50"),
    ({"q": "energia", "mode": "magico"}, "mode", "valore non ammesso"),
    ({"q": "energia", "sdg": 18}, "sdg", "da 1 a 17"),
    ({"q": "energia", "year_from": 2025, "year_to": 2020}, None, "successivo"),
    ({"q": "energia", "in_force": "forse"}, "in_force", "vero o falso"),
    ({"q": "energia", "sconosciuto": 1}, "sconosciuto", "parametro sconosciuto"),
])
def test_bad_requests_get_an_italian_422(api: TestClient, params: dict[str, Any], field: str | None,
                                         words: str) -> None:
    response = api.get("/search", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "richiesta_non_valida" and words in error["message"]
    if field:
        assert error["details"][0]["campo"] == field
    assert "Traceback" not in response.text


def test_unknown_routes_and_methods_answer_in_italian(api: TestClient) -> None:
    missing = api.get("/non-esiste", headers={"X-Request-ID": "r1"})
    assert missing.status_code == 404
    assert missing.json()["error"] == {"code": "non_trovato", "message": "risorsa non trovata", "details": [],
                                       "request_id": "r1"}
    assert api.put("/search").json()["error"]["code"] == "metodo_non_consentito"


def test_index_unavailable_is_a_503_without_a_trace(writable_api: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = writable_api.app.state.services.backend  # type: ignore[attr-defined]

    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise IndexUnavailableError("connessione rifiutata: /segreto/percorso")

    monkeypatch.setattr(backend, "query", down)
    monkeypatch.setattr(backend, "count", down)
    for response in (writable_api.get("/search", params={"q": "energia"}), writable_api.get("/ready")):
        assert response.status_code == 503 and response.headers["retry-after"]
        assert response.json()["error"]["code"] == "indice_non_disponibile"
        assert "segreto" not in response.text
    assert writable_api.get("/health").status_code == 200, "alive, not ready"


def test_unexpected_errors_are_a_500_without_a_trace(writable_api: TestClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    backend = writable_api.app.state.services.backend  # type: ignore[attr-defined]
    monkeypatch.setattr(backend, "query", lambda *a, **k: 1 / 0)
    crashing = TestClient(writable_api.app, raise_server_exceptions=False, base_url=LOCAL_URL)
    response = crashing.get("/search", params={"q": "energia"})
    assert response.status_code == 500 and response.json()["error"]["code"] == "errore_interno"
    assert "ZeroDivision" not in response.text


def test_openapi_is_described_in_italian(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    assert spec["paths"]["/search"]["get"]["summary"] == "Cerca nella base di conoscenza"
    params = {p["name"]: p for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert params["q"]["description"].startswith("Domanda o parole chiave")
    assert "X-API-Key" in spec["info"]["description"]
    for path in ("/bandi", "/normativa/overview", "/documents", "/documents/{doc_id}/file", "/similar", "/metrics"):
        assert path in spec["paths"]
