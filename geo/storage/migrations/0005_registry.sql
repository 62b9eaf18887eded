-- The registry records (projects, ENVR schools): every version of every record, so the current
-- registry is each record's newest version and its history is all of them. One change (an edit,
-- or a bulk ingest of a file) adds its versions in the same transaction as the rebuilt layers.
CREATE TABLE coopmap.registry_versions (
    registry   text NOT NULL,                  -- projects | envr
    record_id  text NOT NULL,                  -- the acronym given when the record was created
    version    integer NOT NULL,               -- 1, 2, ... per record
    change_id  bigint NOT NULL,                -- one per change; a bulk ingest shares one
    action     text NOT NULL,                  -- create | replace | patch | retire | restore | ingest
    actor      text NOT NULL,                  -- the token name (API, forms) or system user (CLI)
    at         timestamptz NOT NULL DEFAULT now(),
    retired    boolean NOT NULL DEFAULT false,
    fields     jsonb NOT NULL,                 -- the registry row as text, column → cell
    PRIMARY KEY (registry, record_id, version)
);

CREATE SEQUENCE coopmap.registry_changes;
