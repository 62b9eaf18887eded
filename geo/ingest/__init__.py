"""Ingest of conflict-event exports (ACLED, UCDP GED) into the normalised event frame."""
