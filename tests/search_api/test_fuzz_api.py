"""Schemathesis over every operation of the OpenAPI spec, in process against the ASGI app over the fixture index
and the real model: no 5xx, and every answer (status, content type, headers, body) as the spec declares it.

Bounded and deterministic here (25 examples per operation); `make stress` runs it 20 times longer with random seeds.
The app has a private copy of the index (the fuzzer deletes and uploads with the write key) and no rate limits.
The spec is read from an app built with the same settings but never started (building one loads nothing), so the
operations are known at collection; the calls go to the started one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from kb.models.base import DenseEmbedder
from kb.settings import Settings
from search_api.app import create_app
from tests.properties.budget import bounded
from tests.search_api.api_fixture import API_KEY, TODAY

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
    response = case.call_and_validate(app=fuzz_app, headers={"X-API-Key": API_KEY}, excluded_checks=EXCLUDED)
    if case.meta is not None and case.meta.generation.mode.is_positive and 400 <= response.status_code < 500 \
            and response.status_code not in (404, 409):
        error = response.json()["error"]
        allowed = SEMANTIC_REFUSALS.get(error["code"], ())
        assert any(part in error["message"] for part in allowed), (case.method, case.path, response.status_code,
                                                                   error)
