"""Storage: the index schema, filter translation and the two backends (Qdrant Edge in-process, Qdrant server)."""
