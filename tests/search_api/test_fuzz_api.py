"""Schemathesis over every operation of the OpenAPI spec, in process against the ASGI app over the fixture index
and the real model: no 5xx, and every answer (status, content type, headers, body) as the spec declares it.

Bounded and deterministic here (25 examples per operation); `make stress` runs it 20 times longer with random seeds.
The app has a private copy of the index (the fuzzer deletes and uploads with the write key) and no rate limits.
The spec is read from an app built with the same settings but never started (building one loads nothing), so the
operations are known at collection; the calls go to the started one.

Places (regione, provincia, comune) are drawn half the time as people type them (tests/properties/territory.py), and
an answer must not change when the same request names them officially: `regione=lombardia` once found nothing.
"""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import strategies as st
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from kb.models.base import DenseEmbedder
from kb.settings import Settings
from search_api.app import create_app
from tests.properties.budget import bounded
from tests.properties.territory import OFFICIAL, named
from tests.search_api.api_fixture import API_KEY, LOCAL_URL, TODAY

OPTIONS: dict[str, Any] = {"api_key": API_KEY, "rate_limit_enabled": False, "ocr_enabled": False}
# A request the schema allows can still be refused for what a JSON schema cannot say. Each such refusal is listed
# (error code -> message fragments); any other 4xx on a schema-valid request fails the test.
SEMANTIC_REFUSALS = {
    "richiesta_non_valida": ("la domanda è vuota", "year_from è successivo a year_to",
                             "indicare il testo del progetto", "file: atteso un file"),
    "tipo_non_supportato": ("formato non supportato", "non corrisponde", "non è un"),  # only the bytes tell a type
    "file_vuoto": ("vuoto",),
    "file_non_leggibile": ("",),
    "metadati_non_validi": ("",),  # a JSON document inside a form field, validated as document metadata
}
# Lax parsing (JSON 0/1 for booleans, "1" for 1) is pydantic's documented behaviour, not a hole: negative data
# may be accepted. Positive data is checked against SEMANTIC_REFUSALS instead of schemathesis' blanket rule.
EXCLUDED = [negative_data_rejection, positive_data_acceptance]
SPEC_APP = create_app(Settings(**OPTIONS))
schema = schemathesis.openapi.from_dict(SPEC_APP.openapi())
schema.app = SPEC_APP  # in-process (ASGI) transport; each call names the started app


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text).casefold() if c.isalnum())


# the places each operation takes (a list on /search), and the official names drawn for them: the fixture index's
# regioni and provinces (a filter on them selects documents) and gazetteer comuni (the fixture's are made up)
PLACES_IN = {("GET", "/search"): ("regione", "provincia", "comune"), ("POST", "/search"): ("regione", "provincia",
             "comune"), ("GET", "/bandi"): ("regione",), ("GET", "/normativa/overview"): ("regione",),
             ("POST", "/similar"): ("regione",)}
NAMES = {"regione": ("Lombardia", "Veneto", "Sicilia", "Friuli-Venezia Giulia", "Valle d'Aosta"),
         "provincia": ("Sondrio", "Cremona", "Verona", "Trapani", "Monza e della Brianza"),
         "comune": ("Sant'Angelo Lodigiano", "Cantù")}
BY_PLAIN = {_plain(name): name for names in (*OFFICIAL.values(), *NAMES.values()) for name in names}


@st.composite
def _respelled(draw: st.DrawFn, values: dict[str, Any], fields: tuple[str, ...], as_list: bool) -> dict[str, Any]:
    out = dict(values)
    for field in fields:
        if draw(st.booleans()):
            spelling = draw(named(field, NAMES[field]))[1]
            out[field] = [spelling] if as_list else spelling
    return out


def _places_as_typed(context: schemathesis.HookContext, values: Any) -> st.SearchStrategy[Any]:
    operation = context.operation
    fields = PLACES_IN.get((operation.method.upper(), operation.path), ()) if operation is not None else ()
    if not fields or not isinstance(values, dict):
        return st.just(values)
    return _respelled(values, fields, as_list=operation is not None and operation.path == "/search")


@schema.hook
def flatmap_query(context: schemathesis.HookContext, query: Any) -> st.SearchStrategy[Any]:
    return _places_as_typed(context, query)


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    return _places_as_typed(context, body)


def _official(values: Any) -> dict[str, Any] | None:
    """`values` with every place drawn as typed written officially; None when there is none."""
    if not isinstance(values, dict):
        return None
    out, changed = dict(values), False
    for field in OFFICIAL.keys() & values.keys():
        typed = values[field] if isinstance(values[field], list) else [values[field]]
        names = [BY_PLAIN.get(_plain(v), v) if isinstance(v, str) else v for v in typed]
        if names != typed:
            out[field], changed = names if isinstance(values[field], list) else names[0], True
    return out if changed else None


def _found(node: Any) -> list[Any]:
    """The documents an answer names, in order, and its totals."""
    if isinstance(node, list):
        return [x for item in node for x in _found(item)]
    if not isinstance(node, dict):
        return []
    own = [node[k] for k in ("doc_id", "total") if k in node]
    return own + [x for value in node.values() for x in _found(value)]


def _answer(response: Any) -> Any:
    try:
        return _found(response.json())
    except ValueError:  # Markdown and CSV exports
        return response.text


def _same_answer_with_official_places(case: Any, response: Any, app: FastAPI) -> None:
    query, body = _official(case.query), _official(case.body)
    if query is None and body is None:
        return
    typed = case.query, case.body
    try:
        case.query, case.body = (query or case.query), (body or case.body)
        official = case.call(app=app, base_url=LOCAL_URL, headers={"X-API-Key": API_KEY})
    finally:
        case.query, case.body = typed
    assert official.status_code == 200, (case.method, case.path, official.text[:300])
    assert _answer(response) == _answer(official), (case.method, case.path, typed, query, body)


@pytest.fixture(scope="session")
def fuzz_app(api_pristine: Path, tmp_path_factory: pytest.TempPathFactory,
             real_embedder: DenseEmbedder) -> FastAPI:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(api_pristine / "index", root / "index")
    shutil.copytree(api_pristine / "files", root / "files")
    settings = Settings(index_path=root / "index", files_path=root / "files", uploads_path=root / "uploads",
                        model=real_embedder.name, **OPTIONS)
    return create_app(settings, embedder=real_embedder, clock=lambda: TODAY)


@schema.parametrize()
@bounded(25)
def test_every_operation_answers_as_its_spec_says(case: Any, fuzz_app: FastAPI) -> None:
    response = case.call_and_validate(app=fuzz_app, base_url=LOCAL_URL, headers={"X-API-Key": API_KEY},
                                      excluded_checks=EXCLUDED)
    if case.meta is not None and case.meta.generation.mode.is_positive and 400 <= response.status_code < 500 \
            and response.status_code not in (404, 409):
        error = response.json()["error"]
        allowed = SEMANTIC_REFUSALS.get(error["code"], ())
        assert any(part in error["message"] for part in allowed), (case.method, case.path, response.status_code,
                                                                   error)
    if case.meta is not None and case.meta.generation.mode.is_positive and response.status_code == 200:
        _same_answer_with_official_places(case, response, fuzz_app)
