"""The core of the knowledge base: settings, storage (schema, filters, backends), text analysis, models and the
retrieval core (`kb.search`).

Ingestion (`ingest`) writes through it; the API (`search_api`), the CLI (`cli`), evaluation and benchmarks search
through `kb.search`, built from the settings by `runtime`. It imports nothing above it.
"""

__version__ = "0.1.0"
