"""Pipeline step: give a type to each document whose submitter declared none, after embedding, before enrichment.

It runs on the embedded chunks because the whole text and the document's vectors are there at no extra cost, and
before the enricher because the type decides which fields the enricher looks for. A declared type is never
replaced; every type gets its provenance, like an extracted field: `dichiarato`, or `estratto` with the
classifier's confidence and the cues it found (`ingest/enrich/doctype.py`). A document the classifier cannot type
with confidence leaves the pipeline in `refused`, with an Italian message that names the closest types and the
four ways to declare one; its chunks are not written.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from ingest.enrich.doctype import (
    Calibration,
    document_text,
    load_calibration,
    load_calibration_data,
    provenance_note,
    refusal_message,
)
from ingest.enrich.document import DECLARED, EXTRACTED

REFUSAL_CODE = "doc_type_unknown"


@component
class DocTypeClassifier:
    def __init__(self, model: str = "", *, calibration_path: Path | None = None) -> None:
        """`model`: the name of the embedder that computed the chunk vectors (its centroids are used only if it is
        the calibrated one); `calibration_path`: another calibration file than the shipped one."""
        if calibration_path is not None and not Path(calibration_path).is_file():
            raise ValueError(f"file di calibrazione del tipo di documento non trovato: {calibration_path}")
        self.model = model
        self.calibration_path = Path(calibration_path) if calibration_path else None
        self._calibration: Calibration | None = None

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, model=self.model,
                               calibration_path=str(self.calibration_path) if self.calibration_path else None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocTypeClassifier:
        path = data.get("init_parameters", {}).get("calibration_path")
        if path:
            data["init_parameters"]["calibration_path"] = Path(path)
        return default_from_dict(cls, data)

    def warm_up(self) -> None:
        self._loaded()

    def _loaded(self) -> Calibration:
        if self._calibration is None:
            self._calibration = (load_calibration_data(self.calibration_path.read_text(encoding="utf-8"))
                                 if self.calibration_path else load_calibration())
        return self._calibration

    @component.output_types(documents=list[Document], refused=list[dict[str, str]])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        by_doc: dict[str, list[Document]] = defaultdict(list)
        for chunk in documents:
            by_doc[str(chunk.meta.get("doc_id"))].append(chunk)
        out: list[Document] = []
        refused: list[dict[str, str]] = []
        for doc_id, chunks in by_doc.items():
            if chunks[0].meta.get("doc_type"):
                fields: dict[str, Any] = {"provenance": {"doc_type": {"origine": DECLARED, "affidabilita": 1.0}}}
            else:
                calibration = self._loaded()
                chunks.sort(key=lambda c: int(c.meta.get("chunk_index", 0)))
                text = document_text((c.meta.get("section"), c.content or "") for c in chunks)
                guess = calibration.classify(text, [list(c.embedding) for c in chunks if c.embedding], self.model)
                if guess.refusal:
                    source = str(chunks[0].meta.get("source") or chunks[0].meta.get("file_path") or doc_id)
                    refused.append({"doc_id": doc_id, "code": REFUSAL_CODE,
                                    "message": refusal_message(guess, calibration, source)})
                    continue
                fields = {"doc_type": guess.doc_type, "extracted_fields": ["doc_type"], "provenance": {"doc_type": {
                    "origine": EXTRACTED, "affidabilita": guess.confidence, "fonte": provenance_note(guess)[:200]}}}
            out.extend(Document(id=c.id, content=c.content, meta={**c.meta, **fields}, embedding=c.embedding,
                                sparse_embedding=c.sparse_embedding) for c in chunks)
        return {"documents": out, "refused": refused}
