-- API tokens and login sessions (layers.dbtokens.DatabaseTokenStore), shared by every server.
-- A token is kept as the SHA-256 digest of its text only; a session as the digest of the id in
-- its cookie. Every request reads these tables: a revocation or a logout holds at once everywhere.
CREATE TABLE coopmap.tokens (
    id       text PRIMARY KEY,                 -- random; what a session refers to
    name     text NOT NULL,                    -- who or what holds the token; `coopmap tokens revoke NAME`
    role     text NOT NULL,                    -- public, analyst, planner or admin (checked by the app)
    digest   text NOT NULL UNIQUE,             -- SHA-256 hex of the token text, never the text
    created  timestamptz NOT NULL DEFAULT now(),
    revoked  timestamptz                       -- NULL while the token is valid
);
-- one live token per name; a revoked name may be issued again
CREATE UNIQUE INDEX tokens_live_name ON coopmap.tokens (name) WHERE revoked IS NULL;

CREATE TABLE coopmap.sessions (
    digest   text PRIMARY KEY,                 -- SHA-256 hex of the session id in the cookie
    token_id text NOT NULL REFERENCES coopmap.tokens (id) ON DELETE CASCADE,
    expires  timestamptz NOT NULL
);
CREATE INDEX sessions_token_id ON coopmap.sessions (token_id);
CREATE INDEX sessions_expires ON coopmap.sessions (expires);
REVOKE ALL ON coopmap.tokens, coopmap.sessions FROM PUBLIC;
