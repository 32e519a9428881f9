"""Shared core of the knowledge base: settings, index schema, text analysis, embedders and backends.

Ingestion (`ingest`) writes through it, the service (`search_api`) reads through it: nothing is defined twice.
"""

__version__ = "0.1.0"
