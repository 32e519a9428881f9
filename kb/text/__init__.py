"""Italian text analysis shared by documents and queries: the analyzer, BM25 sparse vectors, synonyms."""
