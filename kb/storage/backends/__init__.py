"""Storage backends behind one interface: Qdrant Edge in-process (default) and a Qdrant server via qdrant-client."""
