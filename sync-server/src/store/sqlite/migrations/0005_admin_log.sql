-- 5: who did which admin action, inside which division or grid (ids and codes only).
CREATE TABLE admin_log (
    id TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    user_id TEXT,
    device_id TEXT,
    action TEXT NOT NULL,
    scope TEXT NOT NULL,
    target TEXT NOT NULL
);
CREATE INDEX admin_log_by_time ON admin_log (at_ms);
