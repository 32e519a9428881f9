"""The ingestion pipeline as a Haystack `Pipeline`: route -> convert -> OCR -> chunk -> embed -> type -> enrich ->
write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from haystack import Pipeline
from haystack.components.converters import PyPDFToDocument, TextFileToDocument
from haystack.components.joiners import DocumentJoiner
from haystack.components.routers import FileTypeRouter

from ingest.components.dense_embedder import ChunkDenseEmbedder
from ingest.components.doc_type_classifier import DocTypeClassifier
from ingest.components.docx_converter import DocxConverter
from ingest.components.html_converter import HtmlConverter
from ingest.components.index_writer import IndexWriter
from ingest.components.italian_chunker import ItalianChunker
from ingest.components.metadata_enricher import MetadataEnricher
from ingest.components.odt_converter import OdtConverter
from ingest.components.pdf_ocr import MAX_OCR_PAGES, MAX_OCR_SECONDS, PdfOcrFallback
from ingest.components.sparse_embedder import ItalianSparseEmbedder
from ingest.formats import MIME_BY_EXTENSION
from kb.models.base import DenseEmbedder
from kb.text.analysis import Bm25SparseEncoder

PIPELINE_VERSION = "4"  # bump when chunking or analysis changes, so re-ingestion rewrites every document
PDF, DOCX, ODT, HTML, TEXT = (MIME_BY_EXTENSION[e] for e in (".pdf", ".docx", ".odt", ".html", ".txt"))


def add_converters(pipe: Pipeline, *, ocr_enabled: bool = True, ocr_language: str = "ita",
                   ocr_max_pages: int = MAX_OCR_PAGES, ocr_max_seconds: float = MAX_OCR_SECONDS) -> str:
    """Route by type and convert (with OCR for scanned PDFs); returns the socket the documents leave from."""
    pipe.add_component("router", FileTypeRouter(mime_types=[PDF, DOCX, ODT, HTML, TEXT]))
    pipe.add_component("pdf", PyPDFToDocument())
    pipe.add_component("ocr", PdfOcrFallback(enabled=ocr_enabled, language=ocr_language, max_pages=ocr_max_pages,
                                             max_seconds=ocr_max_seconds))
    pipe.add_component("docx", DocxConverter())
    pipe.add_component("odt", OdtConverter())
    pipe.add_component("html", HtmlConverter())
    pipe.add_component("text", TextFileToDocument(encoding="utf-8"))
    pipe.add_component("joiner", DocumentJoiner())
    pipe.connect(f"router.{PDF}", "pdf.sources")
    pipe.connect("pdf.documents", "ocr.documents")
    pipe.connect("ocr.documents", "joiner.documents")
    pipe.connect(f"router.{DOCX}", "docx.sources")
    pipe.connect("docx.documents", "joiner.documents")
    pipe.connect(f"router.{ODT}", "odt.sources")
    pipe.connect("odt.documents", "joiner.documents")
    pipe.connect(f"router.{HTML}", "html.sources")
    pipe.connect("html.documents", "joiner.documents")
    pipe.connect(f"router.{TEXT}", "text.sources")
    pipe.connect("text.documents", "joiner.documents")
    return "joiner.documents"


def build_conversion_pipeline(*, ocr_enabled: bool = True, ocr_language: str = "ita",
                              ocr_max_pages: int = MAX_OCR_PAGES, ocr_max_seconds: float = MAX_OCR_SECONDS
                              ) -> Pipeline:
    """Files -> documents with text and page breaks, nothing indexed (e.g. a project to compare with the base)."""
    pipe = Pipeline()
    add_converters(pipe, ocr_enabled=ocr_enabled, ocr_language=ocr_language, ocr_max_pages=ocr_max_pages,
                   ocr_max_seconds=ocr_max_seconds)
    return pipe


EMBEDDED = "dense"  # the step of `build_embedding_pipeline` whose `documents` output carries the embedded chunks


def build_embedding_pipeline(embedder: DenseEmbedder, *, max_tokens: int = 0, overlap_tokens: int = 40,
                             ocr_enabled: bool = True, ocr_language: str = "ita") -> Pipeline:
    """Files -> chunks with sparse and dense vectors: the ingestion pipeline up to the enricher, nothing written.

    `build_pipeline` is this pipeline plus enrichment and writing, so a reader of its output (the enrichment
    evaluation) gets exactly the chunks the enricher gets during ingestion. They leave from `EMBEDDED`.
    """
    pipe = Pipeline()
    converted = add_converters(pipe, ocr_enabled=ocr_enabled, ocr_language=ocr_language)
    pipe.add_component("chunker", ItalianChunker(embedder, max_tokens=max_tokens, overlap_tokens=overlap_tokens))
    pipe.add_component("sparse", ItalianSparseEmbedder(Bm25SparseEncoder()))
    pipe.add_component(EMBEDDED, ChunkDenseEmbedder(embedder))
    pipe.connect(converted, "chunker.documents")
    pipe.connect("chunker.documents", "sparse.documents")
    pipe.connect("sparse.documents", f"{EMBEDDED}.documents")
    return pipe


def embedding_pipeline_for(embedder: DenseEmbedder, settings: Any) -> Pipeline:
    """`build_embedding_pipeline` with the chunking and OCR of `settings` (a `kb.settings.Settings`), as ingestion
    runs it: what the evaluations of the enricher and of the type classifier read."""
    return build_embedding_pipeline(embedder, max_tokens=settings.chunk_max_tokens,
                                    overlap_tokens=settings.chunk_overlap_tokens, ocr_enabled=settings.ocr_enabled,
                                    ocr_language=settings.ocr_language)


def build_pipeline(embedder: DenseEmbedder, backend: Any, *, max_tokens: int = 0, overlap_tokens: int = 40,
                   ocr_enabled: bool = True, ocr_language: str = "ita", write_batch_size: int = 256,
                   enrich: bool = True, gazetteer_path: Path | None = None,
                   enrich_min_confidence: float = 0.5) -> Pipeline:
    """The whole ingestion: `build_embedding_pipeline`, then the type of undeclared documents (those it cannot
    type leave from `doctype.refused`), metadata enrichment and the index writer."""
    pipe = build_embedding_pipeline(embedder, max_tokens=max_tokens, overlap_tokens=overlap_tokens,
                                    ocr_enabled=ocr_enabled, ocr_language=ocr_language)
    pipe.add_component("doctype", DocTypeClassifier(getattr(embedder, "name", "")))
    pipe.add_component("enricher", MetadataEnricher(embedder, enabled=enrich, gazetteer_path=gazetteer_path,
                                                    min_confidence=enrich_min_confidence))
    pipe.add_component("writer", IndexWriter(backend, batch_size=write_batch_size))
    pipe.connect(f"{EMBEDDED}.documents", "doctype.documents")
    pipe.connect("doctype.documents", "enricher.documents")
    pipe.connect("enricher.documents", "writer.documents")
    return pipe
