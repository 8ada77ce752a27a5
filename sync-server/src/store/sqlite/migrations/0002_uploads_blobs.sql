-- 2: photo uploads (tus) and content-addressed blobs linked to scopes.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE blob_scopes (
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    scope TEXT NOT NULL,
    PRIMARY KEY (sha256, scope)
);
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    scope TEXT NOT NULL,
    length INTEGER NOT NULL,
    received INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX uploads_by_device ON uploads(device_id, complete, created_at);
CREATE TABLE upload_chunks (
    upload_id TEXT NOT NULL REFERENCES uploads(id),
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (upload_id, seq)
);
