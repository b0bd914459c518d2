"""The ledger: the durable store of provenance (tracked spans, declarations, agent edits). A SQLite file by
default; PostgreSQL for a team-shared ledger."""
