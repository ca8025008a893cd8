"""Corpus formats (text trees, JSONL) and byte decoding; each registers through the hooks."""
