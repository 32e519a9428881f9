"""/raccolte: curated, ordered collections of documents (and chosen passages), their JSON export and dossier.

No user accounts: creating a collection needs no key (it counts against the upload budget) and answers, once, the
collection's own edit key. Changing or deleting it needs that key in `X-Collection-Key`, or the service's write key
in `X-API-Key` (the laboratory's moderation). Reading it is public to whoever has its link (an unguessable id), as
every read of the knowledge base is, unless the service has a read key.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.security import APIKeyHeader

from search_api.deps import UPLOAD_LIMIT, BaseUrlDep, GivenKey, ServicesDep, TodayDep
from search_api.dossier import DossierFormat, export_dossier
from search_api.errors import ApiError
from search_api.raccolte.schemas import (
    COLLECTION_ID,
    CollectionCreate,
    CollectionCreated,
    CollectionDeleted,
    CollectionExport,
    CollectionOut,
    CollectionPatch,
    ItemAdd,
    ItemPatch,
)
from search_api.raccolte.service import CollectionService, not_found_f, render
from search_api.raccolte.to_dossier import collection_ref
from search_api.ratelimit import Budget, key_matches
from search_api.schemas.common import MALFORMED_BODY, TOO_MANY_REQUESTS, ErrorResponse
from search_api.services import Services

COLLECTION_KEY_HEADER = "X-Collection-Key"
router = APIRouter(prefix="/raccolte", tags=["raccolte"],
                   responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
                              503: {"model": ErrorResponse}})
CollectionId = Annotated[str, PathParam(pattern=COLLECTION_ID, description="Identificativo della raccolta")]
ItemId = Annotated[int, PathParam(ge=1, le=2**62, description="Identificativo della voce")]
collection_key_header = APIKeyHeader(name=COLLECTION_KEY_HEADER, scheme_name="ChiaveRaccolta", auto_error=False,
                                     description="Chiave di modifica della raccolta, data una sola volta alla "
                                                 "creazione")
GivenCollectionKey = Annotated[str | None, Depends(collection_key_header)]
EDIT_REFUSALS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorResponse}, 403: {"model": ErrorResponse},
                                                  429: TOO_MANY_REQUESTS}
DOSSIER_TYPES: dict[str, Any] = {"application/epub+zip": {}, "application/pdf": {},
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}}


def get_collections(services: ServicesDep) -> CollectionService:
    return services.collections


CollectionsDep = Annotated[CollectionService, Depends(get_collections)]


def require_edit_key(request: Request, raccolta_id: CollectionId, services: ServicesDep, x_api_key: GivenKey,
                     x_collection_key: GivenCollectionKey) -> None:
    """The collection's edit key, or the service's write key. 401 without either, 403 with a wrong one; a refusal
    counts against the caller's search budget, as every refused key does."""
    expected = services.settings.api_key
    if expected and key_matches(x_api_key, expected):
        return
    if x_collection_key and services.collections.store.key_matches(raccolta_id, x_collection_key):
        return
    services.limiter.check(Budget.search, request)
    if not x_api_key and not x_collection_key:
        raise ApiError(401, "chiave_mancante", f"serve la chiave di modifica della raccolta ({COLLECTION_KEY_HEADER}) "
                       "o la chiave di scrittura del servizio (X-API-Key)", headers={"WWW-Authenticate": "ApiKey"})
    raise ApiError(403, "chiave_non_valida", "chiave non valida per modificare questa raccolta")


EditKey = Annotated[None, Depends(require_edit_key)]


def _answer(services: Services, raccolta_id: str, today: dt.date, base_url: str) -> CollectionOut:
    return CollectionOut.model_validate(render(services.collections.read(raccolta_id, today), base_url))


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60] or "raccolta"


@router.post("", status_code=201, response_model=CollectionCreated, summary="Crea una raccolta (o ne importa una)",
             responses={400: MALFORMED_BODY, 413: {"model": ErrorResponse}, 429: TOO_MANY_REQUESTS},
             dependencies=[UPLOAD_LIMIT])
def create(body: CollectionCreate, services: ServicesDep, today: TodayDep, base_url: BaseUrlDep
           ) -> CollectionCreated:
    """Una raccolta nuova con titolo e introduzione; con `items` (il file di `GET /raccolte/{id}/esporta`) la
    re-importa, con le istantanee delle voci così come erano. La risposta contiene, **solo questa volta**, la chiave
    di modifica (`edit_key`, da inviare in `X-Collection-Key`) e il link di modifica: conservarli."""
    collection, key = services.collections.create(body)
    shown = _answer(services, collection.id, today, base_url)
    return CollectionCreated(**shown.model_dump(), edit_key=key, edit_url=f"{shown.page_url}#chiave={key}")


@router.get("/{raccolta_id}", response_model=CollectionOut, summary="Una raccolta (link pubblico, sola lettura)")
def read(raccolta_id: CollectionId, services: ServicesDep, today: TodayDep, base_url: BaseUrlDep) -> CollectionOut:
    """Le voci in ordine, con nota, passaggi scelti e metadati del documento come erano quando è stato aggiunto. Se
    un documento è stato eliminato dall'archivio o sostituito da allora, la voce resta e `status_note` lo dice."""
    return _answer(services, raccolta_id, today, base_url)


@router.patch("/{raccolta_id}", response_model=CollectionOut, summary="Rinomina o cambia l'introduzione",
              responses={**EDIT_REFUSALS, 400: MALFORMED_BODY})
def update(raccolta_id: CollectionId, body: CollectionPatch, services: ServicesDep, today: TodayDep,
           base_url: BaseUrlDep, _key: EditKey) -> CollectionOut:
    if not services.collections.store.update(raccolta_id, title=body.title, intro=body.intro or None,
                                             clear_intro=body.intro == ""):
        raise not_found_f("raccolta")
    return _answer(services, raccolta_id, today, base_url)


@router.delete("/{raccolta_id}", response_model=CollectionDeleted, summary="Elimina una raccolta",
               responses=EDIT_REFUSALS)
def delete(raccolta_id: CollectionId, services: ServicesDep, _key: EditKey) -> CollectionDeleted:
    if not services.collections.store.delete(raccolta_id):
        raise not_found_f("raccolta")
    return CollectionDeleted(id=raccolta_id)


@router.post("/{raccolta_id}/voci", status_code=201, response_model=CollectionOut,
             summary="Aggiungi un documento (o dei suoi passaggi)",
             responses={**EDIT_REFUSALS, 200: {"model": CollectionOut, "description": "Il documento era già nella "
                                               "raccolta: passaggi e nota aggiunti alla sua voce"},
                        400: MALFORMED_BODY, 409: {"model": ErrorResponse}})
def add_item(raccolta_id: CollectionId, body: ItemAdd, response: Response, services: ServicesDep, today: TodayDep,
             base_url: BaseUrlDep, _key: EditKey) -> CollectionOut:
    """Titolo, metadati e testo dei passaggi scelti (`passages`: i `chunk_index` delle citazioni) sono copiati
    dall'archivio adesso, così restano anche se il documento cambia."""
    if not services.collections.add(raccolta_id, body):
        response.status_code = 200
    return _answer(services, raccolta_id, today, base_url)


@router.patch("/{raccolta_id}/voci/{voce_id}", response_model=CollectionOut, summary="Nota o posizione di una voce",
              responses={**EDIT_REFUSALS, 400: MALFORMED_BODY})
def update_item(raccolta_id: CollectionId, voce_id: ItemId, body: ItemPatch, services: ServicesDep, today: TodayDep,
                base_url: BaseUrlDep, _key: EditKey) -> CollectionOut:
    """`position` sposta la voce (0 = prima; oltre la fine: in fondo); `note` la annota (testo vuoto: la toglie)."""
    if not services.collections.store.update_item(raccolta_id, voce_id, note=body.note or None,
                                                  clear_note=body.note == "", position=body.position):
        raise not_found_f("voce")
    return _answer(services, raccolta_id, today, base_url)


@router.delete("/{raccolta_id}/voci/{voce_id}", response_model=CollectionOut, summary="Togli una voce",
               responses=EDIT_REFUSALS)
def remove_item(raccolta_id: CollectionId, voce_id: ItemId, services: ServicesDep, today: TodayDep,
                base_url: BaseUrlDep, _key: EditKey) -> CollectionOut:
    if not services.collections.store.remove_item(raccolta_id, voce_id):
        raise not_found_f("voce")
    return _answer(services, raccolta_id, today, base_url)


@router.get("/{raccolta_id}/esporta", response_model=CollectionExport, summary="Esporta la raccolta in JSON")
def export(raccolta_id: CollectionId, services: ServicesDep, today: TodayDep) -> Response:
    """Il file si re-importa inviandolo a `POST /raccolte` (una raccolta nuova, con una chiave nuova)."""
    view = services.collections.read(raccolta_id, today)
    exported = services.collections.export(view, dt.datetime.now(dt.UTC).replace(microsecond=0))
    name = f"raccolta-{_slug(view.collection.title)}.json"
    return Response(exported.model_dump_json(indent=2), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{raccolta_id}/dossier.{fmt}", summary="Dossier della raccolta (EPUB, PDF, DOCX)",
            response_class=Response, responses={200: {"content": DOSSIER_TYPES}})
def dossier(raccolta_id: CollectionId, fmt: Annotated[DossierFormat, PathParam(description="epub, pdf o docx")],
            services: ServicesDep, today: TodayDep, base_url: BaseUrlDep) -> Response:
    """Copertina, indice, un capitolo per voce con i passaggi scelti e le citazioni, appendice normativa e bandi
    aperti pertinenti alla data di oggi."""
    view = services.collections.read(raccolta_id, today)
    exported = export_dossier(collection_ref(view), fmt, services=services, today=today,
                              base_url=base_url)
    return Response(exported.data, media_type=exported.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'})
