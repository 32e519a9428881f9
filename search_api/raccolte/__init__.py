"""Raccolte: named, ordered collections of documents and chosen passages, stored beside the index (SQLite)."""
