"""Every declared input limit, probed at the limit (accepted) and one past it (an Italian 422 naming the field):
taken from the OpenAPI spec, so a new parameter is probed as soon as it is declared. Then the limits that live in
validators (filter values, SDG range, JSON metadata), identifiers, and request bodies (413)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.search_api.api_fixture import API_KEY
from tests.security.conftest import MakeClient

KEY = {"X-API-Key": API_KEY}
REQUIRED = {"q": "energia", "topic": "energia"}
VALID_ITEM = {"beneficiary": "comuni"}
PAGE = "cer-montagna"
# fields whose value at the limit must also be well-formed to be accepted; closed lists have no long valid value
AT_LIMIT = {"metadata": lambda n: '{"doc_type": "progetto"}'.ljust(n)}
CLOSED_LISTS = {"doc_type", "beneficiary"}
# identifiers whose longest well-formed value names nothing: validation accepts it, the route answers 404
IDENTIFIERS = {"doc_id", "passages"}
# JSON bodies other than a search's: the required fields each one needs around the probed one
JSON_BODIES: dict[str, dict[str, Any]] = {"/raccolte": {"title": "Raccolta di prova"}, "/raccolte/{raccolta_id}": {},
                                          "/raccolte/{raccolta_id}/voci": {"doc_id": PAGE},
                                          "/raccolte/{raccolta_id}/voci/{voce_id}": {}}
Probe = tuple[str, str, str, Any, bool]  # (where, field, label, value, accepted)


def _plain(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The schema without its `null` alternative, with `$ref` resolved."""
    if "anyOf" in schema:
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _valid(field: str, schema: dict[str, Any]) -> Any:
    if field in VALID_ITEM:
        return VALID_ITEM[field]
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "integer":
        return int(schema.get("minimum", 1))
    if schema.get("type") == "object":
        return {name: "a" for name in schema.get("required", [])}
    return "a"


def _probes(field: str, schema: dict[str, Any], spec: dict[str, Any]) -> Iterator[tuple[str, Any, bool]]:
    schema = _plain(schema, spec)
    kind = schema.get("type")
    if "enum" in schema:
        yield "enum", "valore-inesistente", False
    if kind == "string" and "maxLength" in schema:
        size = int(schema["maxLength"])
        if field not in CLOSED_LISTS:
            yield "maxLength", AT_LIMIT.get(field, lambda n: "a" * n)(size), True
        yield "maxLength+1", "a" * (size + 1), False
    if kind == "string" and schema.get("minLength", 0) > 0:
        yield "minLength-1", "a" * (int(schema["minLength"]) - 1), False
    if kind == "integer":
        for bound, step in (("maximum", 1), ("minimum", -1)):
            if bound in schema:
                yield bound, int(schema[bound]), True
                yield f"{bound}{step:+d}", int(schema[bound]) + step, False
    if kind == "array":
        items = _plain(schema["items"], spec)
        if "maxItems" in schema:
            yield "maxItems", [_valid(field, items)] * int(schema["maxItems"]), True
            yield "maxItems+1", [_valid(field, items)] * (int(schema["maxItems"]) + 1), False
        for label, value, accepted in _probes(field, items, spec):
            yield f"items.{label}", [value], accepted


def _all_probes(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, str], Probe]]:
    """(method, path, the operation's required query parameters, probe) for every limit of every operation."""
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            required = {p["name"]: REQUIRED[p["name"]] for p in op.get("parameters", [])
                        if p["in"] == "query" and p.get("required")}
            for param in op.get("parameters", []):
                if param["in"] == "query":
                    for label, value, accepted in _probes(param["name"], param["schema"], spec):
                        out.append((method, path, required, ("query", param["name"], label, value, accepted)))
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                body = _plain(content["schema"], spec)
                for name, schema in body.get("properties", {}).items():
                    if name != "file":
                        for label, value, accepted in _probes(name, schema, spec):
                            out.append((method, path, required, (media, name, label, value, accepted)))
    return out


def _url(client: TestClient, path: str) -> str:
    """The path with its parameters filled: the fixture document, and a new collection holding it."""
    url = path.replace("{doc_id}", PAGE)
    if "{raccolta_id}" in url:
        created = client.post("/raccolte", json={"title": "Prova", "items": [{"doc_id": PAGE, "title": "CER"}]}).json()
        url = url.replace("{raccolta_id}", created["id"]).replace("{voce_id}", str(created["items"][0]["id"]))
    return url


def _send(client: TestClient, method: str, path: str, query: dict[str, str], probe: Probe) -> Any:
    where, field, _, value, _ = probe
    url = _url(client, path)
    if where == "query":
        return client.request(method.upper(), url, params={**query, field: value}, headers=KEY, follow_redirects=False)
    if where == "application/json":
        body = JSON_BODIES.get(path, {"q": "energia"})
        return client.request(method.upper(), url, json={**body, field: value}, headers=KEY)
    files = {"file": ("orto.md", b"# Orto\n\nOrto sociale del comune.\n", "text/markdown")}
    data = {"text": "comunità energetica", "doc_type": "progetto", field: value}
    return client.request(method.upper(), url, data=data, files=files if path == "/documents" else None,
                          headers=KEY)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    from kb.settings import Settings
    from search_api.app import create_app

    return create_app(Settings()).openapi()


def test_the_spec_declares_limits_everywhere(spec: dict[str, Any]) -> None:
    probes = _all_probes(spec)
    probed = {(m, p, probe[1]) for m, p, _, probe in probes}
    assert len(probes) > 150
    for field in ("q", "page", "page_size", "doc_type", "sdg", "theme", "regione", "comune", "year_from"):
        assert ("get", "/search", field) in probed and ("post", "/search", field) in probed, field
    for field in ("text", "population", "regione", "limit"):
        assert ("post", "/similar", field) in probed, field
    assert ("post", "/documents", "metadata") in probed and ("get", "/bandi", "sdg") in probed


def test_every_declared_limit_holds(make_client: MakeClient, spec: dict[str, Any]) -> None:
    client = make_client()
    wrong = []
    for method, path, query, probe in _all_probes(spec):
        where, field, label, _, accepted = probe
        response = _send(client, method, path, query, probe)
        if accepted:
            ok = response.status_code < 400 or (field in IDENTIFIERS and response.status_code == 404)
        else:
            error = response.json().get("error", {}) if response.status_code == 422 else {}
            campi = [str(d["campo"]).split(".")[0] for d in error.get("details", [])]
            ok = error.get("code") == "richiesta_non_valida" and field in campi
        if not ok:
            wrong.append((method, path, where, field, label, response.status_code, response.text[:200]))
    assert not wrong, wrong


@pytest.mark.parametrize("field", ["theme", "regione", "provincia", "comune", "population_band"])
def test_filter_values_are_at_most_120_characters(client: TestClient, field: str) -> None:
    assert client.get("/search", params={"q": "energia", field: "a" * 120}).status_code == 200
    for method, kwargs in (("GET", {"params": {"q": "energia", field: "a" * 121}}),
                           ("POST", {"json": {"q": "energia", field: ["a" * 121]}})):
        refused = client.request(method, "/search", **kwargs)
        assert refused.status_code == 422 and "troppo lungo (massimo 120" in refused.json()["error"]["message"]


@pytest.mark.parametrize("sdg", [0, 18, -1, 10**6])
def test_sdg_filters_are_1_to_17(client: TestClient, sdg: int) -> None:
    for path, params in (("/search", {"q": "energia", "sdg": sdg}), ("/bandi", {"sdg": sdg})):
        refused = client.get(path, params=params)
        assert refused.status_code == 422, (path, refused.text)
        assert refused.json()["error"]["code"] == "richiesta_non_valida"


@pytest.mark.parametrize(("params", "words"), [
    ({"q": "   "}, "la domanda è vuota"),
    ({"q": "energia", "year_from": 2030, "year_to": 2020}, "successivo"),
    ({"q": "energia", "page": "uno"}, "numero intero"),
    ({"q": "energia", "page_size": "10.5"}, "numero intero"),
    ({"q": "energia", "page_size": 10**30}, "al massimo 50"),
])
def test_other_search_input_is_refused_in_italian(client: TestClient, params: dict[str, Any], words: str) -> None:
    refused = client.get("/search", params=params)
    assert refused.status_code == 422 and words in refused.json()["error"]["message"], refused.text


@pytest.mark.parametrize("doc_id", ["../segreti", "Maiuscole", "a" * 129, "-inizio", "con spazio", "%2e%2e"])
def test_document_ids_are_checked(client: TestClient, doc_id: str) -> None:
    for path in (f"/documents/{doc_id}", f"/documents/{doc_id}/file", f"/ui/simili/{doc_id}"):
        response = client.get(path)
        assert response.status_code in (404, 422), (path, response.status_code)
        assert "cer-montagna" not in response.text


@pytest.mark.parametrize(("metadata", "words"), [
    ("[" * 5000 + "]" * 5000, "annidamento"),
    ('{"popolazione": ' + "9" * 5000 + "}", "numeri"),
    ('{"doc_id": "../../etc/passwd"}', "doc_id"),
    ('{"sdg": [1, 99]}', "SDG"),
    ("non è json", "non è JSON valido"),
])
def test_hostile_metadata_is_a_422(make_client: MakeClient, metadata: str, words: str) -> None:
    client = make_client()
    refused = client.post("/documents", files={"file": ("orto.md", b"# Orto\n\ntesto", "text/markdown")},
                          data={"doc_type": "progetto", "metadata": metadata}, headers=KEY)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "metadati_non_validi", refused.text
    assert words in refused.text
    assert client.app.state.services.worker.pending() == 0  # type: ignore[attr-defined]


def test_a_padded_doc_id_is_used_as_validated(make_client: MakeClient) -> None:
    client = make_client()
    accepted = client.post("/documents", files={"file": ("orto.md", b"# Orto\n\nOrto sociale.", "text/markdown")},
                           data={"doc_type": "buona_pratica", "metadata": '{"doc_id": "  orto-sociale  "}'},
                           headers=KEY)
    assert accepted.status_code == 202 and accepted.json()["doc_id"] == "orto-sociale"


def test_bodies_past_their_limit_are_a_413(make_client: MakeClient) -> None:
    client = make_client(max_upload_mb=1)
    big_search = client.post("/search", content=b'{"q": "' + b"a" * 70_000 + b'"}',
                             headers={"content-type": "application/json"})
    assert big_search.status_code == 413 and "troppo grande" in big_search.json()["error"]["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it arrives
        yield b'{"q": "'
        for _ in range(20):
            yield b"a" * 5000
        yield b'"}'

    streamed = client.post("/search", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "file_troppo_grande"
    huge_upload = client.post("/documents", files={"file": ("grande.md", b"a" * (3 * 2**20), "text/markdown")},
                              data={"doc_type": "progetto"}, headers=KEY)
    assert huge_upload.status_code == 413
    fits = client.post("/documents", files={"file": ("piccolo.md", b"# Piccolo\n\n" + b"parola " * 100_000,
                                                     "text/markdown")}, data={"doc_type": "progetto"}, headers=KEY)
    assert fits.status_code == 202, "an upload under the limit passes the body cap"
