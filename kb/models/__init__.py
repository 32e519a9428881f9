"""Dense models: the embedder interface, the sentence-transformers and ONNX encoders, and the factory."""
