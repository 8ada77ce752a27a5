-- 4: where a blob's bytes are. 'database': in `bytes`, as before. 'object': in the
-- deployment's object storage under the blob's content address (`[photos] store = "s3"`),
-- `bytes` left empty (no photo is empty: empty uploads are refused). Staged upload
-- chunks stay in `upload_chunks` either way.
ALTER TABLE blobs ADD COLUMN location TEXT NOT NULL DEFAULT 'database'
    CHECK (location IN ('database', 'object'));
