-- 6: documents given to a unit beyond their scope: an event's dispatch and report
-- documents, to each department a step assigns the event to. No foreign key: a report
-- may reach the relay after its dispatch document.
CREATE TABLE doc_grants (
    doc_id BLOB NOT NULL,
    unit TEXT NOT NULL,
    PRIMARY KEY (doc_id, unit)
);
CREATE INDEX doc_grants_by_unit ON doc_grants (unit, doc_id);
