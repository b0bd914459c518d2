"""Corpora for data pipelines: one judge decides keep, drop or redact for a sample or a file, and the export
and the streaming filter built on it."""
