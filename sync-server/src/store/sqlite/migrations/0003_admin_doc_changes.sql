-- 3: which documents each admin change touched, so running relays push them.
CREATE TABLE admin_doc_changes (
    generation INTEGER NOT NULL,
    doc_id BLOB NOT NULL,
    PRIMARY KEY (generation, doc_id)
);
