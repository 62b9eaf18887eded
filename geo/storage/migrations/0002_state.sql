-- The state beside the layers: ingest reports (rejects) and secrets, shared by every server.
CREATE TABLE coopmap.reports (
    name      text PRIMARY KEY,                -- e.g. acled_drc.rejects
    body      bytea NOT NULL,                  -- the report as CSV (line, reason, the row's columns)
    saved_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE coopmap.secrets (
    name        text PRIMARY KEY,              -- e.g. secret_key (session signing)
    value       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON coopmap.secrets FROM PUBLIC;
