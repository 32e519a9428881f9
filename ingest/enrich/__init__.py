"""Metadata extraction from document text: dates, amounts, population caps, act references, places, SDG/themes.

Pure functions over text (no index, no Haystack), so each extractor is tested on hand-written Italian sentences;
`ingest/components/metadata_enricher.py` combines them during ingestion without overwriting declared values.
"""
