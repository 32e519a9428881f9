"""Normative overview: which acts of each level speak to a topic, and how to export it for a report.

Acts come from the same search as /search (normativa only). An act is kept when it shares words with the topic
(stems and synonyms: its best lexical BM25 score is at least `MIN_LEXICAL_RATIO` of the best act's), so the overview
lists the rules on the topic and not every act the dense model finds vaguely close. Inside a level, the most recent
act comes first.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from typing import Any

from kb.storage.schema import Level

MIN_LEXICAL_RATIO = 0.2
LEVEL_LABELS = {Level.UE: "Unione europea", Level.nazionale: "Nazionale", Level.regionale: "Regionale"}


def pertinent_acts(lexical_scores: dict[str, float]) -> set[str]:
    """Acts whose best lexical score is close enough to the best act's (raw BM25, comparable across acts)."""
    best = max(lexical_scores.values(), default=0.0)
    return {doc_id for doc_id, score in lexical_scores.items() if best > 0 and score >= MIN_LEXICAL_RATIO * best}


def group_by_level(results: list[dict[str, Any]], per_level: int, passages: int) -> list[dict[str, Any]]:
    """Results (already filtered to pertinent acts, best first) grouped UE -> nazionale -> regionale."""
    groups = []
    for level in Level:
        acts = [_act(r, passages) for r in results if r["metadata"].get("level") == level.value]
        acts.sort(key=lambda a: (str(a.get("act_date") or ""), a["score"]), reverse=True)
        if acts:
            groups.append({"level": level, "label": LEVEL_LABELS[level], "acts": acts[:per_level]})
    return groups


def _act(result: dict[str, Any], passages: int) -> dict[str, Any]:
    meta = result["metadata"]
    return {"doc_id": result["doc_id"], "title": result.get("title"), "reference": meta.get("reference"),
            "act_date": meta.get("act_date"), "in_force": meta.get("in_force"), "issuer": meta.get("issuer"),
            "regione": meta.get("regione"), "score": result["score"], "passages": result["passages"][:passages],
            "url": result["url"], "file_url": result["file_url"]}


def act_state(in_force: bool | None) -> str:
    if in_force is None:
        return "stato non indicato"
    return "in vigore" if in_force else "abrogato"


def _pages(citation: dict[str, Any]) -> str:
    start, end = citation.get("page_start"), citation.get("page_end")
    if not start:
        return ""
    return f"p. {start}" if not end or end == start else f"pp. {start}-{end}"


_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]#|~])")
_MARKDOWN_BLOCK_START = re.compile(r"^([-+>=]|\d+(?=[.)]))")
# OWASP CSV injection: a cell starting with one of these is a formula (or becomes one) in spreadsheets
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def md_text(value: object) -> str:
    """A field as inert Markdown text: one line (no injected sections), HTML escaped, Markdown punctuation
    backslash-escaped, and no list, quote or heading where the line starts."""
    text = html.escape(" ".join(str(value).split()), quote=False)
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    return _MARKDOWN_BLOCK_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1),
                                     text)


def csv_cell(value: object) -> str:
    """A field as an inert spreadsheet cell: one that would start a formula gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_markdown(topic: str, today: dt.date, levels: list[dict[str, Any]]) -> str:
    """The overview as Markdown; every field taken from documents or from the request is escaped (`md_text`)."""
    total = sum(len(g["acts"]) for g in levels)
    lines = [f"# Quadro normativo: {md_text(topic)}", "", f"_Generato il {today:%d/%m/%Y}: {total} atti._", ""]
    if not levels:
        lines.append("Nessun atto pertinente trovato.")
    for group in levels:
        lines += [f"## {group['label']}", ""]
        for act in group["acts"]:
            heading = " - ".join(md_text(x) for x in (act.get("reference"), act.get("title")) if x)
            lines += [f"### {heading}", ""]
            facts = [f"Data: {act['act_date']:%d/%m/%Y}" if act.get("act_date") else None,
                     f"Stato: {act_state(act.get('in_force'))}", act.get("issuer"), act.get("regione")]
            lines += ["- " + " · ".join(md_text(f) for f in facts if f), f"- Documento: <{act['file_url']}>", ""]
            for passage in act["passages"]:
                cite = passage["citation"]
                where = ", ".join(md_text(x) for x in (cite.get("section"), _pages(cite)) if x)
                lines.append("> " + md_text(passage["text"]))
                lines += [f"> ({where}, <{cite['url']}>)" if where else f"> (<{cite['url']}>)", ""]
    return "\n".join(lines).rstrip() + "\n"


CSV_COLUMNS = ("livello", "riferimento", "titolo", "data", "stato", "ente", "regione", "estratto", "sezione",
               "pagine", "link")


def to_csv(levels: list[dict[str, Any]]) -> str:
    """One row per cited passage; `;` separator and a BOM, so Excel in Italian opens it as it is; cells that a
    spreadsheet would run as formulas are neutralised (`csv_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for group in levels:
        for act in group["acts"]:
            for passage in act["passages"] or [None]:
                cite = passage["citation"] if passage else {}
                writer.writerow([csv_cell(x) for x in (
                    group["label"], act.get("reference") or "", act.get("title") or "",
                    act["act_date"].isoformat() if act.get("act_date") else "", act_state(act.get("in_force")),
                    act.get("issuer") or "", act.get("regione") or "", passage["text"] if passage else "",
                    cite.get("section") or "", _pages(cite), cite.get("url") or act["file_url"])])
    return "\ufeff" + out.getvalue()
