"""One HTML rendering of the dossier (Jinja templates in `templates/`): the whole book for the PDF, one part per
file for the EPUB."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from search_api.dossier.view import Dossier

Href = Callable[[str], str]


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=PackageLoader("search_api.dossier", "templates"),
                       autoescape=select_autoescape(["html", "xhtml"]), trim_blocks=True, lstrip_blocks=True)


def stylesheet(name: str) -> str:
    return resources.files("search_api.dossier").joinpath("templates", name).read_text(encoding="utf-8")


def book(dossier: Dossier) -> str:
    """The whole dossier as one HTML document, links inside it as fragments (`#cap-01`)."""
    return environment().get_template("book.html").render(
        d=dossier, href=lambda anchor: f"#{anchor}", css=Markup(stylesheet("dossier.css")),
        print_css=Markup(stylesheet("print.css")))


def parts() -> Any:
    """The macros of `_parts.html` (cover, intro, chapter, acts, calls), each rendering one part as a fragment."""
    return environment().get_template("_parts.html").module
