"""Regione, provincia and comune in any spelling (issue 19, item 3): `regione=lombardia` found nothing on /search and
only national calls on /bandi, `Friuli Venezia Giulia` missed `Friuli-Venezia Giulia`. Values are stored in their
official spelling and filters are read the same way, on every route that filters by place."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.models.base import DenseEmbedder
from tests.search_api.api_fixture import API_KEY
from tests.search_api.conftest import _client

LOMBARDIA = ("lombardia", "LOMBARDIA", " Lombardia ", "lOmBaRdIa")
FVG = ("Friuli Venezia Giulia", "friuli-venezia giulia", " FRIULI - VENEZIA  GIULIA", "Regione Friuli Venezia Giulia")
AOSTA = ("Val d'Aosta", "VALLE D’AOSTA", "Valle d'Aosta/Vallée d'Aoste", "valle d aosta")
CHARGING = ("Il comune vuole installare colonnine di ricarica per veicoli elettrici nei parcheggi pubblici e presso "
            "gli edifici comunali, per sostenere la mobilità elettrica dei cittadini.")
# documents declared the way people write places; the index must hold the official spelling
DOCS: dict[str, tuple[str, dict[str, Any]]] = {
    "bando-ricarica-fvg.md": (
        "# Ricarica diffusa nei comuni del Friuli Venezia Giulia\n\nContributi ai comuni per installare colonnine di "
        "ricarica per veicoli elettrici su aree pubbliche e presso edifici comunali.\n",
        {"doc_type": "bando", "regione": "Friuli Venezia Giulia", "issuer": "Regione Autonoma Friuli Venezia Giulia",
         "opening_date": "2026-10-01", "deadline": "2027-02-26", "beneficiaries": ["comuni"],
         "population_cap": 20000, "themes": ["mobilita"]}),
    "orti-aosta.md": (
        "# Orti sociali in montagna\n\nIl comune ha affidato a un'associazione di anziani dieci orti sociali su "
        "terreni comunali inutilizzati, con acqua piovana raccolta dai tetti.\n",
        {"doc_type": "buona_pratica", "regione": "valle d'aosta", "provincia": "AO", "comune": " Morgex "}),
    "pedibus-lodigiano.md": (
        "# Pedibus per le scuole\n\nOgni mattina tre linee di pedibus accompagnano a scuola i bambini con genitori "
        "volontari, su percorsi messi in sicurezza.\n",
        {"doc_type": "buona_pratica", "regione": "lombardia", "provincia": "lo", "comune": "sant’angelo lodigiano"}),
}


@pytest.fixture(scope="module")
def places_api(api_pristine: Path, tmp_path_factory: pytest.TempPathFactory,
               real_embedder: DenseEmbedder) -> Iterator[TestClient]:
    """The fixture index plus the documents above, uploaded through the API."""
    root = tmp_path_factory.mktemp("places")
    with _client(api_pristine, root, real_embedder) as client:
        for name, (text, meta) in DOCS.items():
            accepted = client.post("/documents", files={"file": (name, text.encode(), "text/markdown")},
                                   data={"metadata": json.dumps(meta)}, headers={"X-API-Key": API_KEY})
            assert accepted.status_code == 202, accepted.text
        assert client.app.state.services.worker.join(180), "ingestion did not finish"  # type: ignore[attr-defined]
        yield client
    shutil.rmtree(root / "index", ignore_errors=True)


def _get(api: TestClient, url: str, **params: Any) -> Any:
    response = api.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _ids(body: dict[str, Any], key: str = "results") -> list[str]:
    return [r["doc_id"] for r in body[key]]


@pytest.mark.parametrize("spelling", LOMBARDIA)
def test_search_get_and_post_read_the_regione_in_any_spelling(api: TestClient, spelling: str) -> None:
    query = {"q": "comunità energetica", "page_size": 50}
    official = _get(api, "/search", **query, regione="Lombardia")
    assert official["total"] > 0
    typed = _get(api, "/search", **query, regione=spelling)
    assert (_ids(typed), typed["total"]) == (_ids(official), official["total"])
    posted = api.post("/search", json={**query, "regione": [spelling]})
    assert posted.status_code == 200, posted.text
    assert _ids(posted.json()) == _ids(official)
    assert [v["value"] for v in typed["facets"]["regione"] if v["value"].lower() == "lombardia"] == ["Lombardia"], \
        "facets show the stored spelling"


@pytest.mark.parametrize("spelling", LOMBARDIA)
def test_bandi_eligibility_reads_the_regione_in_any_spelling(api: TestClient, spelling: str) -> None:
    calls = _get(api, "/bandi", status="aperto", population=15_000, regione=spelling, beneficiary="comuni")
    assert _ids(calls) == ["bando-ciclabili"], "the Lombardy call, not only national ones"


@pytest.mark.parametrize("spelling", LOMBARDIA)
def test_similar_eligibility_reads_the_regione_in_any_spelling(api: TestClient, spelling: str) -> None:
    text = ("Il nostro comune vuole ridurre il traffico privato con nuove corsie ciclabili, zone 30 e collegare le "
            "frazioni alla stazione con piste ciclabili.")
    response = api.post("/similar", data={"text": text, "population": 8000, "regione": spelling})
    assert response.status_code == 200, response.text
    assert _ids(response.json(), "bandi") == ["bando-ciclabili"]


def test_normativa_overview_reads_the_regione_in_any_spelling(api: TestClient) -> None:
    def acts(regione: str) -> list[str]:
        body = _get(api, "/normativa/overview", topic="comunità energetiche rinnovabili", regione=regione)
        return [a["doc_id"] for g in body["levels"] for a in g["acts"]]

    assert "legge-lombardia-cer" in acts("Lombardia")
    assert acts("lombardia") == acts(" LOMBARDIA ") == acts("Lombardia")
    assert "legge-lombardia-cer" not in acts("veneto")


def test_declared_places_are_stored_in_their_official_spelling(places_api: TestClient) -> None:
    stored = {doc_id: _get(places_api, f"/documents/{doc_id}")["metadata"]
              for doc_id in ("bando-ricarica-fvg", "orti-aosta", "pedibus-lodigiano")}
    assert stored["bando-ricarica-fvg"]["regione"] == "Friuli-Venezia Giulia"
    assert (stored["orti-aosta"]["regione"], stored["orti-aosta"]["provincia"], stored["orti-aosta"]["comune"]) == (
        "Valle d'Aosta", "Aosta", "Morgex"), "a comune of the gazetteer, trimmed"
    meta = stored["pedibus-lodigiano"]
    assert (meta["regione"], meta["provincia"], meta["comune"]) == ("Lombardia", "Lodi", "Sant'Angelo Lodigiano")


@pytest.mark.parametrize("spelling", ("Friuli-Venezia Giulia", *FVG))
def test_friuli_venezia_giulia_with_or_without_hyphen(places_api: TestClient, spelling: str) -> None:
    assert "bando-ricarica-fvg" in _ids(_get(places_api, "/bandi", regione=spelling, population=5000))
    assert "bando-ciclabili" not in _ids(_get(places_api, "/bandi", regione=spelling, population=5000))
    found = _get(places_api, "/search", q="colonnine di ricarica", regione=spelling)
    assert _ids(found) == ["bando-ricarica-fvg"]
    similar = places_api.post("/similar", data={"text": CHARGING, "population": 5000, "regione": spelling})
    assert similar.status_code == 200, similar.text
    assert "bando-ricarica-fvg" in _ids(similar.json(), "bandi")


@pytest.mark.parametrize("spelling", AOSTA)
def test_valle_d_aosta_variants(places_api: TestClient, spelling: str) -> None:
    for body in (_get(places_api, "/search", q="orti sociali", regione=spelling),
                 places_api.post("/search", json={"q": "orti sociali", "regione": [spelling]}).json()):
        assert _ids(body) == ["orti-aosta"]
        assert [v["value"] for v in body["facets"]["regione"] if "aosta" in v["value"].lower()] == ["Valle d'Aosta"]


def test_provincia_and_comune_filters_in_any_spelling(places_api: TestClient) -> None:
    for params in ({"provincia": "LO"}, {"provincia": " lodi"}, {"comune": "Sant'Angelo Lodigiano"},
                   {"comune": "SANT ANGELO LODIGIANO"}, {"comune": "Comune di Sant’Angelo Lodigiano"}):
        assert _ids(_get(places_api, "/search", q="pedibus scuole", **params)) == ["pedibus-lodigiano"], params
    assert _ids(_get(places_api, "/search", q="orti sociali", comune="  Morgex ")) == ["orti-aosta"]
