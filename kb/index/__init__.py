"""The index: one schema, one analyzer, one dense embedder, two storage backends."""
