//! Versioned schema migrations (`PRAGMA user_version`).

use rusqlite::Connection;

use crate::error::{CoreError, Result};

/// Each entry migrates from version `i` to `i + 1`. Append only; never edit a shipped one.
const MIGRATIONS: &[&str] = &[
    // 1: documents, change log, index tables, blobs.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);

    -- One row per automerge document: its snapshot (after compaction) and what lists need.
    CREATE TABLE docs (
        id BLOB PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT '',
        scope TEXT NOT NULL DEFAULT '',
        snapshot BLOB,
        change_count INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX docs_scope ON docs (scope, kind);

    -- Change log since the last snapshot; `local` marks changes made on this device.
    CREATE TABLE changes (
        seq INTEGER PRIMARY KEY,
        doc_id BLOB NOT NULL,
        hash BLOB NOT NULL,
        bytes BLOB NOT NULL,
        local INTEGER NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX changes_doc ON changes (doc_id, seq);

    CREATE TABLE households (
        id BLOB PRIMARY KEY,
        grid TEXT NOT NULL,
        address TEXT NOT NULL,
        head_name TEXT,
        tags TEXT NOT NULL,
        needs_home_visit INTEGER NOT NULL,
        resident_count INTEGER NOT NULL,
        last_visit_at INTEGER,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX households_grid ON households (grid, address);
    CREATE INDEX households_updated ON households (updated_at);

    CREATE TABLE residents (
        id BLOB PRIMARY KEY,
        household_id BLOB NOT NULL,
        grid TEXT NOT NULL,
        name TEXT NOT NULL,
        initials TEXT NOT NULL,
        pinyin TEXT NOT NULL,
        phone_rev TEXT,
        id_rev TEXT,
        tags TEXT NOT NULL,
        moved_out INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX residents_household ON residents (household_id);
    CREATE INDEX residents_grid ON residents (grid);
    CREATE INDEX residents_initials ON residents (initials);
    CREATE INDEX residents_pinyin ON residents (pinyin);
    CREATE INDEX residents_phone ON residents (phone_rev);
    CREATE INDEX residents_idno ON residents (id_rev);
    CREATE INDEX residents_updated ON residents (updated_at);

    -- 1- and 2-character grams of names and addresses, for substring search of any length.
    CREATE TABLE resident_grams (gram TEXT NOT NULL, resident_id BLOB NOT NULL,
        PRIMARY KEY (gram, resident_id)) WITHOUT ROWID;
    CREATE TABLE household_grams (gram TEXT NOT NULL, household_id BLOB NOT NULL,
        PRIMARY KEY (gram, household_id)) WITHOUT ROWID;

    CREATE TABLE checks (
        id BLOB PRIMARY KEY,
        doc_id BLOB NOT NULL,
        grid TEXT NOT NULL,
        day TEXT NOT NULL,
        slot TEXT NOT NULL,
        resident_id BLOB NOT NULL,
        household_id BLOB NOT NULL,
        tenths INTEGER NOT NULL,
        fever INTEGER NOT NULL,
        member TEXT NOT NULL,
        at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX checks_day ON checks (grid, day, slot);
    CREATE INDEX checks_member_day ON checks (member, day);
    CREATE INDEX checks_updated ON checks (updated_at);

    CREATE TABLE visits (
        id BLOB PRIMARY KEY,
        doc_id BLOB NOT NULL,
        grid TEXT NOT NULL,
        household_id BLOB NOT NULL,
        member TEXT NOT NULL,
        day TEXT NOT NULL,
        at INTEGER NOT NULL,
        purpose TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX visits_member_day ON visits (member, day);
    CREATE INDEX visits_household ON visits (household_id, at);
    CREATE INDEX visits_updated ON visits (updated_at);

    CREATE TABLE needs (
        id BLOB PRIMARY KEY,
        doc_id BLOB NOT NULL,
        visit_id BLOB NOT NULL,
        household_id BLOB NOT NULL,
        fulfilled INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX needs_household ON needs (household_id, fulfilled);
    CREATE INDEX needs_visit ON needs (visit_id);

    CREATE TABLE journal (
        id BLOB PRIMARY KEY,
        doc_id BLOB NOT NULL,
        member TEXT NOT NULL,
        day TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX journal_member_day ON journal (member, day);
    CREATE INDEX journal_updated ON journal (updated_at);

    CREATE TABLE reports (
        id BLOB PRIMARY KEY,
        grid TEXT NOT NULL,
        category TEXT NOT NULL,
        severity TEXT NOT NULL,
        author TEXT NOT NULL,
        day TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        photo_count INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX reports_grid ON reports (grid, created_at);
    -- From the dispatch document, which may arrive before or after the report's own.
    CREATE TABLE report_status (
        report_id BLOB PRIMARY KEY,
        status TEXT NOT NULL,
        deadline INTEGER,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX report_status_status ON report_status (status);
    CREATE INDEX reports_author_day ON reports (author, day);
    CREATE INDEX reports_updated ON reports (updated_at);

    -- Evidence photos and thumbnails, inside the encrypted database.
    CREATE TABLE blobs (
        hash TEXT PRIMARY KEY,
        bytes BLOB NOT NULL,
        size INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE thumbs (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL);
    "#,
    // 2: per document and peer sync state (automerge `sync::State::encode`: shared heads).
    r#"
    CREATE TABLE sync_states (
        doc_id BLOB NOT NULL,
        peer TEXT NOT NULL,
        state BLOB NOT NULL,
        PRIMARY KEY (doc_id, peer)
    );
    "#,
    // 3: re-indexing a household deletes its grams by owner; without these, every edit
    // scanned the whole gram table (quadratic on a centre's 100k-resident store).
    r#"
    CREATE INDEX resident_grams_owner ON resident_grams (resident_id);
    CREATE INDEX household_grams_owner ON household_grams (household_id);
    "#,
    // 4: photo transfers. Which photos each report references (an index row like the
    // others: the download list is these minus the stored blobs), and the upload queue:
    // each evidence photo to send to a scope, with its tus upload URL and the last
    // offset the relay confirmed, so a resume continues where the relay stands.
    r#"
    CREATE TABLE report_photos (
        report_id BLOB NOT NULL,
        hash TEXT NOT NULL,
        grid TEXT NOT NULL,
        PRIMARY KEY (report_id, hash)
    ) WITHOUT ROWID;
    CREATE INDEX report_photos_hash ON report_photos (hash);

    -- state: 'queued' (to send), 'done' (the relay has it in this scope), 'refused'
    -- (the relay will never take it: scope forbidden or over its size cap).
    CREATE TABLE photo_uploads (
        hash TEXT NOT NULL,
        scope TEXT NOT NULL,
        size INTEGER NOT NULL,
        url TEXT,
        sent INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'queued',
        refusal TEXT,
        queued_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (hash, scope)
    );
    CREATE INDEX photo_uploads_state ON photo_uploads (state, queued_at);
    "#,
    // 5: a check's household is its resident's (checks no longer repeat it).
    r#"
    ALTER TABLE checks DROP COLUMN household_id;
    "#,
    // 6: a document retired from sync: a household that moved to a grid this device does
    // not read (its old grid's index let it go). Any change that arrives for it later
    // brings it back.
    r#"
    ALTER TABLE docs ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
    "#,
    // 7: events (事件): each filed event as derived from the steps in its dispatch
    // document, for the to-do list. `derived` is the derived state as JSON (codes and
    // user ids, no personal data); the other columns narrow the candidates a party may
    // act on. The stage clock is stored as instants; its mark is judged at read time.
    r#"
    CREATE TABLE event_state (
        report_id BLOB PRIMARY KEY,
        grid TEXT NOT NULL,
        state TEXT NOT NULL,
        level TEXT NOT NULL,
        assignee_kind TEXT,
        assignee_id TEXT,
        verifier TEXT,
        open_conflicts INTEGER NOT NULL,
        stage TEXT,
        clock_start INTEGER,
        clock_due INTEGER,
        filed_at INTEGER NOT NULL,
        derived TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX event_state_grid ON event_state (grid, state);
    CREATE INDEX event_state_assignee ON event_state (assignee_id);
    CREATE INDEX event_state_verifier ON event_state (verifier);
    "#,
    // 8: the directory (名录) the relay sends: units under the device's scopes by name.
    r#"
    CREATE TABLE directory (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL
    );
    "#,
    // 9: notices and receipts (通知, 回执), roster campaigns (专项任务), and the
    // directory's people.
    r#"
    CREATE TABLE directory_people (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        scopes TEXT NOT NULL
    );
    CREATE TABLE notices (
        id TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        sender TEXT NOT NULL,
        sent_ms INTEGER NOT NULL,
        ack_by_ms INTEGER,
        closed_ms INTEGER,
        priority TEXT NOT NULL,
        body TEXT NOT NULL,
        reminders TEXT NOT NULL,
        closed TEXT
    );
    CREATE INDEX notices_sent ON notices (sent_ms);
    CREATE TABLE notice_receipts (
        notice TEXT NOT NULL,
        user TEXT NOT NULL,
        grid TEXT NOT NULL,
        role TEXT,
        delivered_ms INTEGER,
        read_ms INTEGER,
        confirmed_ms INTEGER,
        reply TEXT,
        PRIMARY KEY (notice, user)
    ) WITHOUT ROWID;
    CREATE TABLE notice_clues (
        id TEXT PRIMARY KEY,
        notice TEXT NOT NULL,
        grid TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX notice_clues_notice ON notice_clues (notice);
    -- How far each notice was announced on this device (OS notification): 1 once raised,
    -- 1 + n after the n-th reminder naming the user.
    CREATE TABLE notice_alerts (notice TEXT PRIMARY KEY, level INTEGER NOT NULL);
    CREATE TABLE campaigns (
        id TEXT PRIMARY KEY,
        unit TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        due_ms INTEGER NOT NULL,
        body TEXT NOT NULL,
        closed_ms INTEGER
    );
    CREATE TABLE campaign_ticks (
        campaign TEXT NOT NULL,
        subject BLOB NOT NULL,
        grid TEXT NOT NULL,
        answer TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        by_user TEXT NOT NULL,
        note TEXT NOT NULL,
        photos TEXT NOT NULL,
        PRIMARY KEY (campaign, subject)
    ) WITHOUT ROWID;
    CREATE INDEX campaign_ticks_grid ON campaign_ticks (campaign, grid);
    CREATE INDEX campaign_ticks_subject ON campaign_ticks (subject, at_ms);
    -- 户籍 / 常住 / 流动 of each resident, for the present-and-away tallies (在区人口).
    ALTER TABLE residents ADD COLUMN status TEXT;
    "#,
];

/// The version that added `report_photos` and `photo_uploads`: stores older than this
/// fill them from their report documents once ([`super::Store::open`]).
pub(crate) const PHOTO_TRANSFERS: i64 = 4;

/// The version that added `event_state`: stores older than this fill it from their
/// dispatch documents once ([`super::Store::open`]).
pub(crate) const EVENT_STATE: i64 = 7;

/// The version that added residents' status: stores older than this index it from their
/// household documents once ([`super::Store::open`]).
pub(crate) const RESIDENT_STATUS: i64 = 9;

/// Newest schema version this build knows.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`LATEST`], one transaction per step. Returns the version
/// found (0 for a new file).
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > LATEST {
        return Err(CoreError::SchemaTooNew {
            found,
            supported: LATEST,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "migrated store schema");
    }
    Ok(found)
}
