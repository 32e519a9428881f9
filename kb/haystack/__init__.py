"""The knowledge base for Haystack users: a retriever component over the retrieval core, and a document store."""
