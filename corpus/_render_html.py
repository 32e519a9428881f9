"""HTML rendering: a full Italian web page (header, nav, breadcrumb, footer) around a <main> with the document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from typing import Any

from _render_markdown import Block, Heading, ListBlock, Paragraph, Quote, Table, inline_markup

SITE = "Rete dei Comuni Sostenibili"
SECTIONS = {"buona_pratica": ("Buone pratiche", "/buone-pratiche/"), "progetto": ("Progetti", "/progetti/"),
            "normativa": ("Normativa", "/normativa/"), "bando": ("Bandi e finanziamenti", "/bandi/")}
_MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
           "novembre", "dicembre")


def inline_html(text: str) -> str:
    """Inline Markdown -> escaped HTML with <strong>/<em>."""
    return inline_markup(text, "em", "strong")


def block_html(block: Block) -> str:
    """One block as HTML."""
    if isinstance(block, Heading):
        level = min(block.level, 6)
        return f"<h{level}>{inline_html(block.text)}</h{level}>"
    if isinstance(block, Quote):
        return f'<blockquote class="avviso"><p>{inline_html(block.text)}</p></blockquote>'
    if isinstance(block, ListBlock):
        tag = "ol" if block.ordered else "ul"
        items = "\n".join(f"  <li>{inline_html(item)}</li>" for item in block.items)
        return f"<{tag}>\n{items}\n</{tag}>"
    if isinstance(block, Table):
        def cell(tag: str, text: str, align: str) -> str:
            style = f' style="text-align: {align}"' if align != "left" else ""
            return f"<{tag}{style}>{inline_html(text)}</{tag}>"
        head = "".join(cell("th", t, block.align[j]) for j, t in enumerate(block.header))
        rows = "\n".join("    <tr>" + "".join(cell("td", t, block.align[j]) for j, t in enumerate(row)) + "</tr>"
                         for row in block.rows)
        return (f'<div class="tabella">\n<table>\n  <thead>\n    <tr>{head}</tr>\n  </thead>\n  <tbody>\n{rows}\n'
                "  </tbody>\n</table>\n</div>")
    assert isinstance(block, Paragraph)
    return f"<p>{inline_html(block.text)}</p>"


def render_html(blocks: Sequence[Block], meta: dict[str, Any]) -> bytes:
    """The page, UTF-8 encoded."""
    title = escape(str(meta.get("title", "")))
    section, href = SECTIONS.get(str(meta.get("doc_type")), ("Documenti", "/documenti/"))
    date = meta.get("date")
    updated = f"{date.day} {_MONTHS[date.month - 1]} {date.year}" if isinstance(date, dt.date) else str(date or "")
    current = ' aria-current="page"'
    menu = "\n".join(f'      <li><a href="{link}"{current if link == href else ""}>{name}</a></li>'
                     for name, link in [("Home", "/"), *SECTIONS.values(), ("Contatti", "/contatti/")])
    body = "\n".join(block_html(b) for b in blocks)
    lang = escape(str(meta.get("language") or "it"))  # the portal is Italian; the page's language is the document's
    page = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} | {SITE}</title>
  <meta name="description" content="{escape(str(meta.get("summary", "")))}">
  <link rel="stylesheet" href="/static/css/portale.css">
  <script src="/static/js/menu.js" defer></script>
</head>
<body>
  <a class="salta" href="#contenuto">Vai al contenuto principale</a>
  <header class="testata">
    <p class="logo"><a href="/">{SITE}</a></p>
    <p class="motto">Buone pratiche, progetti, norme e bandi per la transizione ecologica degli enti locali</p>
    <form class="cerca" action="/cerca" role="search">
      <label for="q">Cerca nel sito</label> <input id="q" name="q" type="search"> <button>Cerca</button>
    </form>
  </header>
  <nav class="menu-principale" aria-label="Menu principale">
    <ul>
{menu}
    </ul>
  </nav>
  <nav class="briciole" aria-label="Percorso">
    <a href="/">Home</a> &rsaquo; <a href="{href}">{section}</a> &rsaquo; <span>{title}</span>
  </nav>
  <main id="contenuto">
<article>
{body}
</article>
  </main>
  <footer class="piede">
    <p>{SITE} &middot; Portale di documentazione per i comuni</p>
    <p>Pagina aggiornata il {updated}</p>
    <ul>
      <li><a href="/privacy/">Informativa privacy</a></li>
      <li><a href="/cookie/">Cookie policy</a></li>
      <li><a href="/accessibilita/">Dichiarazione di accessibilità</a></li>
      <li><a href="/note-legali/">Note legali</a></li>
    </ul>
  </footer>
</body>
</html>
"""
    return page.encode("utf-8")
