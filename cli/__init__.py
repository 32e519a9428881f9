"""`kb`, the command line: a composition root like the API, above the retrieval core and ingestion."""
