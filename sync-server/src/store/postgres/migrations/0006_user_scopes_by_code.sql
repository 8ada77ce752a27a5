-- 6: users by the codes of their scopes, for the directory's people (the users under a
-- device's scopes: a code prefix, hence the pattern operator class).
CREATE INDEX user_scopes_by_code ON user_scopes (code text_pattern_ops);
