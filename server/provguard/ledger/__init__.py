"""The ledger: the durable store of provenance (tracked spans, declarations). SQLite by default."""
