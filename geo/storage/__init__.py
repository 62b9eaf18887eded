"""Where persistent state lives: the layer store, atomic file writes and ingest reports."""
