"""The web pages and the portal widget in headless Chromium (Debian's binary, driven by Playwright), with axe-core.

Screenshots of the main views are written to results/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from kb.models.base import DenseEmbedder
from kb.settings import Settings
from search_api.app import create_app
from tests.conftest import REPO
from tests.search_api.api_fixture import API_KEY, TODAY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium non installato: make system-deps (root)")
SHOTS = REPO / "results" / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live(api_pristine: Path, tmp_path_factory: pytest.TempPathFactory,
         real_embedder: DenseEmbedder) -> Iterator[dict[str, str]]:
    """The app on a real port, and a portal page on another origin that includes the widget with one tag."""
    root = tmp_path_factory.mktemp("live")
    shutil.copytree(api_pristine / "index", root / "index")
    shutil.copytree(api_pristine / "files", root / "files")
    api_port, portal_port = _free_port(), _free_port()
    api, portal = f"http://127.0.0.1:{api_port}", f"http://localhost:{portal_port}"
    settings = Settings(index_path=root / "index", files_path=root / "files", uploads_path=root / "uploads",
                        api_key=API_KEY, model=real_embedder.name, cors_origins=[portal])
    server = uvicorn.Server(uvicorn.Config(create_app(settings, embedder=real_embedder, clock=lambda: TODAY),
                                           host="127.0.0.1", port=api_port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    site = root / "portale"
    site.mkdir()
    (site / "index.html").write_text(f"""<!doctype html><html lang="it"><head><meta charset="utf-8">
<title>Portale del laboratorio</title></head><body><main><h1>Bandi per i comuni</h1>
<script src="{api}/static/kb-search.js" data-doc-type="bando" data-limit="5"></script></main></body></html>""",
                                     encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", portal_port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    deadline = time.monotonic() + 120
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started, "the app did not start"
    yield {"api": api, "portal": portal}
    httpd.shutdown()
    server.should_exit = True
    thread.join(30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _total(page: Any) -> int:
    found = re.match(r"(\d+)", page.locator("#titolo-risultati").inner_text())
    assert found
    return int(found.group(1))


def test_a_query_shows_results(page: Any, live: dict[str, str]) -> None:
    page.goto(f"{live['api']}/")
    page.get_by_label("Che cosa cerchi?").fill("come ha fatto un piccolo comune a creare una comunità energetica?")
    page.get_by_role("button", name="Cerca", exact=True).click()
    page.wait_for_selector(".risultato")
    assert page.locator(".risultato").count() >= 3 and page.locator("mark").count() > 0
    assert "q=come+ha+fatto" in page.url, "the state is in the URL"
    _shot(page, "ricerca")


def test_clicking_a_facet_narrows_and_counts_stay_coherent(page: Any, live: dict[str, str]) -> None:
    page.goto(f"{live['api']}/?q=energia+rinnovabile+comunit%C3%A0")
    before = _total(page)
    option = page.locator("label.opzione", has=page.locator("input[name=doc_type][value=normativa]"))
    announced = int(re.findall(r"\((\d+)\)", option.inner_text())[0])
    with page.expect_navigation():
        option.locator("input").check()
    assert "doc_type=normativa" in page.url
    after = _total(page)
    assert after == announced < before
    badges = page.locator(".risultato .badge").all_inner_texts()
    assert len(badges) == after and all(b.upper().startswith("NORMATIVA") for b in badges)
    _shot(page, "ricerca-filtrata")


def test_checking_a_regione_keeps_the_other_regioni_with_their_counts(page: Any, live: dict[str, str]) -> None:
    """Disjunctive facets, by keyboard: checking Lombardia keeps every regione listed with the count it would give;
    checking Veneto too adds its documents (values of one field are alternatives)."""
    page.goto(f"{live['api']}/?q=energia+rinnovabile+comunit%C3%A0")
    box = page.locator("fieldset", has=page.locator("legend", has_text=re.compile("^Regione$")))
    before = box.locator("label.opzione").all_inner_texts()
    assert len(before) >= 3

    def count(regione: str) -> int:
        option = box.locator("label.opzione", has=page.locator(f"input[value='{regione}']"))
        return int(re.findall(r"\((\d+)", option.inner_text())[0])

    lombardia, veneto = count("Lombardia"), count("Veneto")
    box.locator("input[value=Lombardia]").focus()
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert "regione=Lombardia" in page.url and _total(page) == lombardia
    box = page.locator("fieldset", has=page.locator("legend", has_text=re.compile("^Regione$")))
    assert box.locator("label.opzione").all_inner_texts() == before, "the other regioni stay, counts unchanged"
    assert box.locator("input:checked").count() == 1 and box.locator("input[value=Lombardia]").is_checked()
    _shot(page, "faccette-disgiuntive")
    box.locator("input[value=Veneto]").focus()
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert _total(page) == lombardia + veneto
    assert page.locator("fieldset input[name=regione]:checked").count() == 2


def test_the_similar_action(page: Any, live: dict[str, str]) -> None:
    page.goto(f"{live['api']}/?q=comunit%C3%A0+energetica+Valfonda")
    page.locator(".risultato").first.get_by_role("link", name=re.compile("^Simili")).click()
    page.wait_for_selector("h1:has-text('Documenti simili')")
    assert page.locator(".risultato").count() >= 1
    _shot(page, "simili")


def test_a_bando_shows_its_status(page: Any, live: dict[str, str]) -> None:
    page.goto(f"{live['api']}/ui/bandi")
    first = page.locator(".risultato").first.inner_text().lower()
    assert "aperto" in first and "127 giorni" in first
    assert page.locator(".stato-scaduto").count() == 1
    _shot(page, "bandi")
    page.goto(f"{live['api']}/ui/normativa?topic=comunit%C3%A0+energetiche+rinnovabili")
    assert page.get_by_role("heading", name="Unione europea").is_visible()
    _shot(page, "normativa")


def test_the_widget_on_another_origin_shows_results(page: Any, live: dict[str, str]) -> None:
    page.goto(f"{live['portal']}/index.html")
    widget = page.locator("kb-search")
    widget.get_by_role("searchbox").fill("piste ciclabili")
    widget.get_by_role("button", name="Cerca").click()
    page.wait_for_function("document.querySelector('kb-search').shadowRoot.querySelectorAll('li').length > 0")
    items = widget.locator("li .tipo").all_inner_texts()
    assert items and all(t.upper().startswith("BANDO") for t in items), "the fixed filter holds"
    assert "Bando per piste ciclabili" in widget.locator("ol").inner_text()
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "", "host page untouched"
    _shot(page, "widget")


CSP_PROBE = """window.__csp = [];
document.addEventListener("securitypolicyviolation",
                          (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));"""


@pytest.mark.parametrize("path", ["/", "/?q=comunit%C3%A0+energetica", "/ui/bandi", "/ui/simili/cer-montagna",
                                  "/ui/normativa?topic=comunit%C3%A0+energetiche+rinnovabili", "/ui/invia"])
def test_the_pages_break_no_rule_of_their_csp(page: Any, live: dict[str, str], path: str) -> None:
    """The pages are served with a strict Content-Security-Policy (own script and style sheet, nothing inline):
    the browser reports no violation while they load and their script runs (the facet and upload tests use it)."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(CSP_PROBE)
    response = page.goto(f"{live['api']}{path}")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    if path.startswith("/?q="):  # app.js at work: a checked facet submits the form
        with page.expect_navigation():
            page.locator(".filtri input[type=checkbox]").first.check()
    assert page.evaluate("window.__csp") == []
    assert not [m for m in console if "Content Security Policy" in m], console


@pytest.mark.parametrize("path", ["/", "/?q=comunit%C3%A0+energetica", "/ui/bandi",
                                  "/ui/normativa?topic=comunit%C3%A0+energetiche+rinnovabili", "/ui/invia"])
def test_no_serious_accessibility_violations(page: Any, live: dict[str, str], path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{live['api']}{path}")
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], v["help"], len(v["nodes"])) for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def test_keyboard_only_search(page: Any, live: dict[str, str]) -> None:
    page.goto(f"{live['api']}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Vai al contenuto", "skip link comes first"
    page.get_by_label("Che cosa cerchi?").focus()
    page.keyboard.type("illuminazione pubblica LED")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".risultato").count() >= 1


def test_submission_form_sends_with_the_key_and_follows_the_status(page: Any, live: dict[str, str],
                                                                  tmp_path: Path) -> None:
    document = tmp_path / "orto-sociale.md"
    document.write_text("# Orto sociale a Campobello\n\nIl comune ha affidato un orto sociale agli anziani.\n",
                        encoding="utf-8")
    page.goto(f"{live['api']}/ui/invia")
    page.get_by_label("Chiave di scrittura").fill("sbagliata")
    page.get_by_label("File (PDF, DOCX, ODT, HTML, Markdown, testo)").set_input_files(str(document))
    page.get_by_label("Tipo di documento").select_option("buona_pratica")
    from playwright.sync_api import expect

    outcome = page.locator("#esito-invio")
    page.get_by_role("button", name="Invia").click()
    # polled from here: a page function would need eval, which the page's CSP forbids
    expect(outcome).to_have_text(re.compile(r"^Errore"))
    assert "non valida" in outcome.inner_text()
    page.get_by_label("Chiave di scrittura").fill(API_KEY)
    page.get_by_role("button", name="Invia").click()
    expect(outcome).to_contain_text("indicizzato", timeout=60_000)
    assert "orto-sociale" in outcome.inner_text()


def test_submission_form_leaves_the_type_to_the_text(page: Any, live: dict[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from tests.doctype_texts import OUTSIDE, TYPED

    call, menu = tmp_path / "avviso-caldaie.md", tmp_path / "menu.md"
    call.write_text(TYPED["bando"], encoding="utf-8")
    menu.write_text(OUTSIDE["menu"], encoding="utf-8")
    page.goto(f"{live['api']}/ui/invia")
    page.get_by_label("Chiave di scrittura").fill(API_KEY)
    outcome = page.locator("#esito-invio")
    for document, said in ((call, "indicizzato"), (menu, "non riconoscibile con sicurezza")):
        page.get_by_label("File (PDF, DOCX, ODT, HTML, Markdown, testo)").set_input_files(str(document))
        page.get_by_role("button", name="Invia").click()
        expect(outcome).to_contain_text(said, timeout=60_000)
    assert "campo `doc_type`" in outcome.inner_text(), "the refusal says how to declare a type"
