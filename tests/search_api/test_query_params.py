"""QueryModel parses a query string exactly as FastAPI's `Annotated[Model, Query()]` does, and declares the same
OpenAPI parameters: two tiny apps, one per way, answer the same requests the same."""

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel

from search_api.errors import install_error_handlers
from search_api.query_params import QueryModel
from search_api.schemas.bandi import BandiRequest
from search_api.schemas.normativa import OverviewRequest
from search_api.schemas.search import SearchRequest

MODELS: list[type[BaseModel]] = [SearchRequest, BandiRequest, OverviewRequest]


def _app(model: type[BaseModel], ours: bool) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    if ours:
        parse = QueryModel(model)

        @app.get("/x", openapi_extra=parse.openapi)
        def with_ours(params: Annotated[model, Depends(parse)]) -> dict[str, Any]:  # type: ignore[valid-type]
            return params.model_dump(mode="json")  # type: ignore[no-any-return]
    else:
        @app.get("/x")
        def with_fastapi(params: Annotated[model, Query()]) -> dict[str, Any]:  # type: ignore[valid-type]
            return params.model_dump(mode="json")  # type: ignore[no-any-return]
    return app


QUERIES: dict[type[BaseModel], list[str]] = {
    SearchRequest: [
        "q=energia", "q=%20%20", "", "q=x&doc_type=bando&doc_type=normativa", "q=x&doc_type=bandi",
        "q=x&page=0", "q=x&page=2&page_size=50", "q=x&page_size=abc", "q=x&sdg=7&sdg=11", "q=x&sdg=18",
        "q=x&in_force=true", "q=x&in_force=forse", "q=x&year_from=2024&year_to=2020", "q=x&unknown=1",
        "q=a&q=b", "q=x&mode=semantic", "q=x&mode=", "q=x&year_from=", "q=x&theme=", "q=x&regione=Lombardia",
        "q=x&context_population=5000&context_regione=Piemonte", "q=x&interpret=false", "q=" + "a" * 501,
        "q=x&doc_type=" + "&doc_type=".join(["bando"] * 5),
    ],
    BandiRequest: ["", "status=aperto&status=scaduto", "status=chiuso", "population=3000&regione=Lazio",
                   "beneficiary=comuni", "order=deadline", "order=x", "page_size=0", "extra=1"],
    OverviewRequest: ["topic=comunità%20energetiche", "", "topic=x&level=UE&level=regionale", "topic=x&format=csv",
                      "topic=x&format=pdf", "topic=x&per_level=0", "topic=x&in_force=false"],
}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_same_requests_get_the_same_answers(model: type[BaseModel]) -> None:
    ours, theirs = TestClient(_app(model, True)), TestClient(_app(model, False))
    for query in QUERIES[model]:
        mine, reference = ours.get(f"/x?{query}"), theirs.get(f"/x?{query}")
        assert mine.status_code == reference.status_code, query
        if reference.status_code == 200:
            assert mine.json() == reference.json(), query
        else:
            assert mine.json()["error"]["details"] == reference.json()["error"]["details"], query


def _resolved(node: Any, spec: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
            return {**_resolved(target, spec), **{k: _resolved(v, spec) for k, v in node.items() if k != "$ref"}}
        return {k: _resolved(v, spec) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolved(v, spec) for v in node]
    return node


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_declared_parameters_are_fastapis(model: type[BaseModel]) -> None:
    def parameters(app: FastAPI) -> dict[str, Any]:
        spec = app.openapi()
        return {p["name"]: _resolved(p, spec) for p in spec["paths"]["/x"]["get"]["parameters"]}

    assert parameters(_app(model, True)) == parameters(_app(model, False))
