-- 1: the relay's whole schema as of the first PostgreSQL release: accounts (divisions,
-- grids, users, enrollment codes, devices), documents and their chunks, sync states,
-- the admin generation and the documents admin changes touched, photo uploads (tus)
-- and content-addressed blobs linked to scopes. Codes and hashes are TEXT, document ids
-- BYTEA (16 bytes, ordered as bytes like the SQLite backend), times unix seconds.
CREATE TABLE divisions (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE grids (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE users (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE user_scopes (
    user_id UUID NOT NULL REFERENCES users(id),
    code TEXT NOT NULL,
    PRIMARY KEY (user_id, code)
);
CREATE TABLE enrollment_codes (
    code_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    device_id UUID
);
CREATE TABLE devices (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE docs (
    id BYTEA PRIMARY KEY,
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- `scope LIKE 'prefix%'` (docs_under) uses this index whatever the database collation.
CREATE INDEX docs_by_scope ON docs (scope text_pattern_ops);
CREATE TABLE doc_chunks (
    doc_id BYTEA NOT NULL REFERENCES docs(id),
    seq BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (doc_id, seq)
);
CREATE TABLE sync_states (
    device_id UUID NOT NULL,
    doc_id BYTEA NOT NULL,
    state BYTEA NOT NULL,
    PRIMARY KEY (device_id, doc_id)
);
CREATE TABLE admin_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO admin_generation (id, generation) VALUES (1, 0);
CREATE TABLE admin_doc_changes (
    generation BIGINT NOT NULL,
    doc_id BYTEA NOT NULL,
    PRIMARY KEY (generation, doc_id)
);
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE blob_scopes (
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    scope TEXT NOT NULL,
    PRIMARY KEY (sha256, scope)
);
CREATE TABLE uploads (
    id UUID PRIMARY KEY,
    -- Creation order within one second (SQLite's rowid plays this part there).
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    device_id UUID NOT NULL,
    sha256 TEXT NOT NULL,
    scope TEXT NOT NULL,
    length BIGINT NOT NULL,
    received BIGINT NOT NULL,
    complete BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX uploads_by_device ON uploads (device_id, complete, created_at);
CREATE TABLE upload_chunks (
    upload_id UUID NOT NULL REFERENCES uploads(id),
    seq BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (upload_id, seq)
);
