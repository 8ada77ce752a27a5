-- 3: the documents changed since a time (a relay instance catching up on what other
-- instances stored while its change feed was down).
CREATE INDEX docs_by_update ON docs (updated_at);
