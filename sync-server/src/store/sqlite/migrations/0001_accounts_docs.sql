-- 1: accounts (divisions, grids, users, enrollment codes, devices), documents and
-- their chunks, sync states, the admin generation.
CREATE TABLE divisions (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE grids (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE user_scopes (
    user_id TEXT NOT NULL REFERENCES users(id),
    code TEXT NOT NULL,
    PRIMARY KEY (user_id, code)
);
CREATE TABLE enrollment_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    device_id TEXT
);
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE docs (
    id BLOB PRIMARY KEY,
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX docs_by_scope ON docs(scope);
CREATE TABLE doc_chunks (
    doc_id BLOB NOT NULL REFERENCES docs(id),
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
);
CREATE TABLE sync_states (
    device_id TEXT NOT NULL,
    doc_id BLOB NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (device_id, doc_id)
);
CREATE TABLE admin_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL);
INSERT INTO admin_generation (id, generation) VALUES (1, 0);
