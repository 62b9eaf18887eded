-- The coopmap schema: one table per layer (coopmap.layer_<id>, '-' as '_') and the manifest
-- that lists them. The layer tables are made by the store, from each layer's Arrow schema.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE coopmap.manifest (
    layer_id       text PRIMARY KEY,
    table_name     text NOT NULL UNIQUE,       -- in schema coopmap, e.g. layer_conflict_events
    digest         text NOT NULL,              -- hash of the rows as loaded: the data version's input
    rows           bigint NOT NULL CHECK (rows >= 0),
    sources        text[] NOT NULL DEFAULT '{}',
    written_at     timestamptz NOT NULL DEFAULT now(),
    geometry_types text[] NOT NULL DEFAULT '{}',
    arrow_schema   bytea NOT NULL              -- the Arrow schema (IPC) the frame is read back with
);
