"""The collections in headless Chromium: adding a document and a passage from the result cards with the keyboard only,
the collection page (reorder by keyboard, annotate, rename, export links, public read-only view), no CSP violation,
no serious axe violation. Screenshot: results/screenshots/raccolta.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.search_api.test_browser import CHROMIUM, CSP_PROBE, SHOTS, browser, live  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium non installato: make system-deps (root)")
KEY_STORE = "kb-raccolte"
# passages and notes chosen when some documents are added (the screenshot shows them)
CHOSEN: dict[str, dict[str, Any]] = {
    "relazione-valgrande": {"passages": [1], "note": "Costi e risparmi a confronto: utile per i comuni montani"},
    "cer-sicilia": {"passages": [0]},
}


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.on("dialog", lambda d: d.accept())  # window.confirm of "Elimina la raccolta"
    yield opened
    context.close()


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement.textContent || document.activeElement.id")).strip()


def _stored(page: Any) -> dict[str, Any]:
    return dict(page.evaluate(f"JSON.parse(localStorage.getItem('{KEY_STORE}') || '{{}}')"))


def _collection(page: Any, live: dict[str, str], docs: list[str], **body: Any) -> dict[str, Any]:  # noqa: F811
    created = page.request.post(f"{live['api']}/raccolte", data={"title": "Energia nei piccoli comuni", **body})
    assert created.status == 201
    made = created.json()
    for doc_id in docs:
        item = {"doc_id": doc_id, **CHOSEN.get(doc_id, {})}
        added = page.request.post(f"{live['api']}/raccolte/{made['id']}/voci", data=item,
                                  headers={"X-Collection-Key": made["edit_key"]})
        assert added.status == 201, added.text()
    return dict(made)


def test_add_a_document_and_a_passage_from_the_results_with_the_keyboard(page: Any,
                                                                       live: dict[str, str]) -> None:  # noqa: F811
    expect = _expect()
    page.goto(f"{live['api']}/?q=comunit%C3%A0+energetica+Valfonda")
    first = page.locator(".risultato").first
    title = first.locator("h3").inner_text()
    first.get_by_role("link", name=re.compile("^Simili")).focus()
    page.keyboard.press("Tab")
    assert _focused(page) == f"Aggiungi alla raccolta «{title}»", "the button follows Simili in the tab order"
    page.keyboard.press("Enter")
    dialog = page.locator("#scelta-raccolta")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "scelta-elenco", "the focus moves into the dialog"
    page.keyboard.press("Tab")
    page.keyboard.type("Comunità energetiche per il convegno")
    page.keyboard.press("Tab")
    page.keyboard.type("Un esempio di montagna")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    added = "Aggiunto a «Comunità energetiche per il convegno» (1 voce)"
    expect(page.locator("#esito-aggiunta")).to_contain_text(added)
    assert _focused(page).startswith("Aggiungi alla raccolta"), "the focus goes back to the card"
    # a passage of the second result: the dialog now offers the collection just made, first
    second = page.locator(".risultato").nth(1)
    passage_button = second.locator("blockquote").first.get_by_role("button", name=re.compile("^Aggiungi questo"))
    passage_button.focus()
    page.keyboard.press("Space")
    expect(dialog).to_be_visible()
    assert page.locator("#scelta-elenco").input_value() != "" and page.locator("#scelta-titolo").is_hidden()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    passage_button.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the note
    page.keyboard.press("Tab")  # Aggiungi
    page.keyboard.press("Enter")
    expect(page.locator("#esito-aggiunta")).to_contain_text("(2 voci)")
    (collection_id, saved), = _stored(page).items()
    shown = page.request.get(f"{live['api']}/raccolte/{collection_id}").json()
    assert saved["title"] == shown["title"] == "Comunità energetiche per il convegno"
    assert shown["items"][0]["note"] == "Un esempio di montagna" and not shown["items"][0]["passages"]
    assert len(shown["items"][1]["passages"]) == 1, "the passage, copied"
    page.locator("#esito-aggiunta").get_by_role("link", name="Apri la raccolta").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/ui/raccolte/{collection_id}")
    expect(page.locator(".comandi-voce").first).to_be_visible()


def test_reorder_annotate_and_rename_on_the_collection_page(page: Any, live: dict[str, str]) -> None:  # noqa: F811
    expect = _expect()
    made = _collection(page, live, ["cer-montagna", "dlgs-199", "bando-ciclabili", "relazione-valgrande",
                                    "cer-sicilia"], intro="Esperienze, norme e bandi per il laboratorio.")
    page.goto(made["edit_url"])  # the edit link: its key goes to this browser's storage and out of the address
    assert page.url.endswith(f"/ui/raccolte/{made['id']}") and "#chiave" not in page.url
    assert _stored(page)[made["id"]]["key"] == made["edit_key"]
    titles = page.locator("#voci > li h3")
    first = titles.nth(0).inner_text()
    page.locator("#voci > li").first.get_by_role("button", name=re.compile("^Sposta giù")).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#esito-raccolta")).to_contain_text(f"«{first}» spostata in posizione 2 di 5")
    assert titles.nth(1).inner_text() == first and _focused(page).startswith("Sposta giù"), "focus stays on it"
    page.keyboard.press("Enter")  # again, from where it is now
    expect(page.locator("#esito-raccolta")).to_contain_text("posizione 3 di 5")
    order = [i["title"] for i in page.request.get(made["url"]).json()["items"]]
    assert order.index(first) == 2 and order == titles.all_inner_texts()
    page.locator("#voci > li").first.get_by_role("button", name=re.compile("^Sposta su")).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#esito-raccolta")).to_contain_text("è già la prima voce")
    # annotate the first item
    page.locator("#voci > li").first.locator("textarea").focus()
    page.keyboard.type("Da presentare al convegno finale")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#esito-raccolta")).to_contain_text("Nota salvata")
    # rename and introduce
    page.get_by_label("Titolo", exact=True).fill("Energia e comunità: il dossier del laboratorio")
    page.get_by_label("Introduzione").fill("Dieci esperienze e le regole da conoscere.")
    page.get_by_role("button", name="Salva titolo e introduzione").press("Enter")
    expect(page.locator("#titolo-raccolta")).to_have_text("Energia e comunità: il dossier del laboratorio")
    page.reload()
    assert page.locator(".nota-voce").first.inner_text() == "Nota: Da presentare al convegno finale"
    assert page.locator("#intro-raccolta").inner_text() == "Dieci esperienze e le regole da conoscere."
    for fmt, media in (("epub", "application/epub+zip"), ("pdf", "application/pdf"), ("docx", "wordprocessingml")):
        link = page.locator(".esporta").get_by_role("link", name=re.compile(f"^Dossier {fmt.upper()}"))
        assert link.get_attribute("href") == made["dossier_urls"][fmt]
        if fmt == "pdf":
            answer = page.request.get(made["dossier_urls"][fmt])
            assert answer.status == 200 and media in answer.headers["content-type"]
    assert page.get_by_label("Link pubblico (sola lettura)").input_value() == made["page_url"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "raccolta.png"), full_page=True)
    # removing an item moves the focus to the next one
    page.locator("#voci > li").first.get_by_role("button", name=re.compile("^Togli")).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#voci > li")).to_have_count(4)
    assert _focused(page).startswith("Sposta su")


def test_without_the_key_the_page_is_read_only(page: Any, live: dict[str, str]) -> None:  # noqa: F811
    made = _collection(page, live, ["led-pianura", "pums-citta"])
    page.goto(made["page_url"])
    assert page.locator("#voci > li").count() == 2
    assert page.locator("#modifica-raccolta").is_hidden() and page.locator(".comandi-voce").first.is_hidden()
    assert page.get_by_role("link", name=re.compile("^Dossier PDF")).is_visible()
    page.goto(f"{live['api']}/ui/raccolte")
    assert page.locator("#nessuna-raccolta").is_visible()


def test_create_and_delete_from_the_collections_page(page: Any, live: dict[str, str]) -> None:  # noqa: F811
    expect = _expect()
    page.goto(f"{live['api']}/ui/raccolte")
    page.get_by_label("Titolo", exact=True).fill("Mobilità dolce")
    page.get_by_role("button", name="Crea la raccolta").click()
    expect(page.locator("#esito-elenco")).to_contain_text("Raccolta «Mobilità dolce» creata")
    expect(page.locator("#mie-raccolte li")).to_have_count(1)
    page.locator("#esito-elenco").get_by_role("link", name="Apri la raccolta").click()
    page.wait_for_selector("#modifica-raccolta:not([hidden])")
    with page.expect_navigation():
        page.get_by_role("button", name="Elimina la raccolta").click()
    assert page.url.endswith("/ui/raccolte") and _stored(page) == {}


@pytest.mark.parametrize("where", ["elenco", "raccolta", "scelta"])
def test_no_csp_violation_and_no_serious_accessibility_violation(page: Any, live: dict[str, str],  # noqa: F811
                                                                 where: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    made = _collection(page, live, ["cer-montagna", "bando-in-arrivo"])
    page.add_init_script(CSP_PROBE)
    path = {"elenco": "/ui/raccolte", "raccolta": made["edit_url"].removeprefix(live["api"]),
            "scelta": "/?q=illuminazione+pubblica+LED"}[where]
    page.goto(f"{live['api']}{path}")
    if where == "scelta":
        page.get_by_role("button", name=re.compile("^Aggiungi alla raccolta")).first.click()
        page.wait_for_selector("#scelta-raccolta[open]")
    elif where == "raccolta":
        page.wait_for_selector(".comandi-voce:not([hidden])")
    assert page.evaluate("window.__csp") == []
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], v["help"], len(v["nodes"])) for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, serious
