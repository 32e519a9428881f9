"""Atom 1.0 documents (RFC 4287), written with the standard library's ElementTree.

ElementTree escapes markup in text and attributes; what it does not do is refuse characters XML 1.0 forbids (a
control character pasted into a title would make the whole feed unreadable to a feed reader), so every string goes
through `xml_text` first. Dates are RFC 3339 in UTC. The writer knows nothing of documents: `search_api/feeds.py`
decides what a feed holds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
# characters outside XML 1.0's Char production (C0 controls but tab and newlines, surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def rfc3339(moment: dt.datetime) -> str:
    """`2026-11-24T09:30:00Z`; a naive moment is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Link:
    href: str
    rel: str = "alternate"
    type: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Category:
    term: str
    label: str | None = None


@dataclass(frozen=True)
class Entry:
    id: str  # an IRI that never changes for this entry
    title: str
    updated: dt.datetime
    links: tuple[Link, ...] = ()
    summary: str | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    updated: dt.datetime
    authors: tuple[str, ...]
    links: tuple[Link, ...] = ()
    subtitle: str | None = None
    generator: str | None = None
    entries: list[Entry] = field(default_factory=list)


def _text(parent: ET.Element, tag: str, value: object, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items()})
    element.text = xml_text(value)
    return element


def _common(element: ET.Element, id_: str, title: str, updated: dt.datetime, authors: tuple[str, ...],
            links: tuple[Link, ...]) -> None:
    _text(element, "id", id_)
    _text(element, "title", title, type="text")
    _text(element, "updated", rfc3339(updated))
    for name in authors:
        _text(ET.SubElement(element, "author"), "name", name)
    for link in links:
        attributes = {"rel": link.rel, "href": link.href, "type": link.type, "title": link.title}
        ET.SubElement(element, "link", {k: xml_text(v) for k, v in attributes.items() if v})


def render(feed: Feed, lang: str = "it") -> bytes:
    """The feed as a UTF-8 XML document."""
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": lang})
    _common(root, feed.id, feed.title, feed.updated, feed.authors, feed.links)
    if feed.subtitle:
        _text(root, "subtitle", feed.subtitle, type="text")
    if feed.generator:
        _text(root, "generator", feed.generator)
    for entry in feed.entries:
        element = ET.SubElement(root, "entry")
        _common(element, entry.id, entry.title, entry.updated, entry.authors, entry.links)
        for category in entry.categories:
            attributes = {"term": category.term, **({"label": category.label} if category.label else {})}
            ET.SubElement(element, "category", {k: xml_text(v) for k, v in attributes.items()})
        if entry.summary:
            _text(element, "summary", entry.summary, type="text")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
