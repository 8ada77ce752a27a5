//! The device store: one encrypted SQLite file (SQLCipher, WAL) holding every document's
//! change log and snapshot, the index tables lists and search read, and photo blobs.
//!
//! Photo transfers (the upload queue and the download list) live here too, written in the
//! same transactions as the reports that reference the photos.
//!
//! A user action is one [`Batch`]: each document it touches gets one automerge change, and
//! all of them, with their index rows, commit in one SQLite transaction. If the transaction
//! fails, the touched documents are dropped from memory and reload from disk, so memory
//! never runs ahead of what is stored. A committed action names the documents it changed
//! on the change feed ([`Store::subscribe`]), which the sync engine follows.
//!
//! Events (事件): a report's chain of command is a DAG of steps in its dispatch document;
//! [`Store::take_step`] checks a step against the derived event and writes it,
//! [`Store::event_detail`] and [`Store::my_tasks`] read them (`events`, `event_index`).

mod actions;
mod batch;
mod blobs;
mod cache;
mod campaigns;
mod directory;
mod event_index;
mod event_stats;
mod events;
mod feed;
mod import;
mod index;
mod key;
mod log;
mod notices;
mod presence;
mod queries;
mod remote;
mod schema;
pub(crate) mod search;
mod sync_state;
mod transfers;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use automerge::{ActorId, Automerge, Change};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, params};
use wangge_proto::DocumentId;

use crate::clock::{Clock, SystemClock, local_day};
use crate::doc::DocKind;
use crate::error::{CoreError, Result};
use crate::model::ActingParty;

pub(crate) use batch::Batch;
pub use blobs::{BlobRef, MAX_BLOB_BYTES};
pub use campaigns::MAX_CAMPAIGN_HOURS;
pub use directory::DirectoryPerson;
pub use event_stats::MAX_STATS_DAYS;
pub use events::{MAX_STEP_NOTE_CHARS, OPTIONAL_ACTIONS, category_name};
pub use feed::{Changes, Interest, Subscription};
pub use key::DbKey;
pub use notices::MAX_NOTICE_PHOTOS;
pub use queries::{Changed, CheckRow, DaySummary, HouseholdSummary, ReportRow};
pub use remote::ApplyOutcome;
pub use search::{MatchKind, ResidentHit};
pub use transfers::{UploadBacklog, UploadJob};

/// How hard SQLite works to make each commit survive a power cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// fsync the WAL on every commit: a saved record survives the battery dying a moment
    /// later. The default: a grid member is told "saved" and walks on.
    Full,
    /// fsync only at checkpoints: survives app crashes, may lose the last commits on power
    /// loss. For bulk imports and benchmarks that say so.
    Normal,
}

/// Store settings.
#[derive(Clone)]
pub struct StoreConfig {
    /// The time zone whose calendar days records belong to.
    pub tz: Tz,
    /// The member this device records as (the relay's user id once enrolled).
    pub member: String,
    /// Durability of each commit.
    pub synchronous: Synchronous,
    /// Fold a document's change log into a snapshot once it holds this many changes.
    pub compact_after: u32,
    /// Documents kept loaded in memory.
    pub cache_docs: usize,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Who this device acts as in events' chain of command (default: a grid member).
    pub party: ActingParty,
    /// The user's role as enrolled (`None`: not enrolled, a grid member).
    pub role: Option<wangge_schema::Role>,
    /// The grids the user works in (the notices for them are those sent to these).
    pub grids: Vec<crate::model::GridCode>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            tz: chrono_tz::Asia::Shanghai,
            member: "local".into(),
            synchronous: Synchronous::Full,
            compact_after: 256,
            cache_docs: 32,
            clock: Arc::new(SystemClock),
            party: ActingParty::default(),
            role: None,
            grids: Vec::new(),
        }
    }
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("tz", &self.tz)
            .field("synchronous", &self.synchronous)
            .field("compact_after", &self.compact_after)
            .field("cache_docs", &self.cache_docs)
            .field("party", &self.party)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The device store. Not `Sync`: the app keeps it behind a mutex or on one task.
pub struct Store {
    conn: Connection,
    cfg: StoreConfig,
    actor: ActorId,
    cache: cache::DocCache,
    path: PathBuf,
    sync: sync_state::Sessions,
    feed: feed::Feed,
}

impl Store {
    /// Opens (creating if needed) the encrypted store at `path` with `key`.
    ///
    /// A wrong key is [`CoreError::WrongKey`]; the file is left untouched.
    #[tracing::instrument(skip_all)]
    pub fn open(path: &Path, key: &DbKey, cfg: StoreConfig) -> Result<Self> {
        key::wait_for_sqlcipher();
        let mut conn = Connection::open(path)?;
        conn.execute_batch(&format!("PRAGMA key = {};", key.pragma_literal()))?;
        // The first read decrypts page 1: this is where a wrong key shows.
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(CoreError::WrongKey);
            }
            Err(e) => return Err(e.into()),
        }
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version == 0 {
            // Before the first table exists (and before WAL writes the header): let
            // compaction hand freed pages back to the phone's storage.
            conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")?;
        }
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(CoreError::Corrupt(format!(
                "could not enable WAL (got {mode})"
            )));
        }
        let sync = match cfg.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
        ))?;
        let found = schema::migrate(&mut conn)?;
        let actor = load_or_create_actor(&conn)?;
        tracing::info!(synchronous = sync, "store opened");
        let mut store = Self {
            conn,
            cache: cache::DocCache::new(cfg.cache_docs),
            cfg,
            actor,
            path: path.to_owned(),
            sync: sync_state::Sessions::default(),
            feed: feed::Feed::default(),
        };
        if (1..schema::PHOTO_TRANSFERS).contains(&found) {
            store.backfill_photo_transfers()?;
        }
        if (1..schema::EVENT_STATE).contains(&found) {
            store.backfill_event_state()?;
        }
        if (1..schema::RESIDENT_STATUS).contains(&found) {
            store.backfill_resident_status()?;
        }
        Ok(store)
    }

    /// The settings.
    pub fn config(&self) -> &StoreConfig {
        &self.cfg
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The member this device records as.
    pub fn member(&self) -> &str {
        &self.cfg.member
    }

    /// Now, by the store's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.cfg.clock.now()
    }

    /// Today, in the configured time zone.
    pub fn today(&self) -> NaiveDate {
        local_day(self.now(), self.cfg.tz)
    }

    /// The local day of an instant.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        local_day(at, self.cfg.tz)
    }

    /// Pages in the file that hold no data (left by deletes, returned by [`Store::compact_all`]).
    pub fn free_pages(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check` result (`"ok"` when healthy).
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Starts a user action.
    pub(crate) fn batch(&mut self) -> Batch<'_> {
        Batch::new(self)
    }

    /// Every document id in the store that syncs, with its kind and scope (documents
    /// retired from sync, households that moved out of this device's grids, are not).
    pub fn doc_ids(&self) -> Result<Vec<(DocumentId, Option<DocKind>, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, kind, scope FROM docs WHERE retired = 0 ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (id, kind, scope) = row?;
            let id = DocumentId::from_bytes(&id).map_err(|e| CoreError::Corrupt(e.to_string()))?;
            out.push((id, DocKind::from_code(&kind), scope));
        }
        Ok(out)
    }

    /// Loads a document from disk (snapshot + change log), bypassing the cache.
    fn load_doc(&self, id: &DocumentId) -> Result<Option<Automerge>> {
        let snapshot: Option<Option<Vec<u8>>> = self
            .conn
            .query_row(
                "SELECT snapshot FROM docs WHERE id = ?1",
                [id.as_bytes()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(snapshot) = snapshot else {
            return Ok(None);
        };
        let mut doc = match snapshot {
            Some(bytes) => Automerge::load(&bytes).map_err(CoreError::doc)?,
            None => Automerge::new(),
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM changes WHERE doc_id = ?1 ORDER BY seq")?;
        let mut changes = vec![];
        for bytes in stmt.query_map([id.as_bytes()], |r| r.get::<_, Vec<u8>>(0))? {
            changes.push(Change::from_bytes(bytes?).map_err(CoreError::doc)?);
        }
        doc.apply_changes(changes)?;
        doc.set_actor(self.actor.clone());
        Ok(Some(doc))
    }

    /// The document, from memory or disk.
    pub(crate) fn doc(&mut self, id: &DocumentId) -> Result<Option<&mut Automerge>> {
        if !self.cache.contains(id) {
            match self.load_doc(id)? {
                Some(doc) => self.cache.insert(*id, doc),
                None => return Ok(None),
            }
        }
        Ok(self.cache.get_mut(id))
    }

    /// A document with content, for reading: `None` when unknown, and also for a stub (a
    /// document a peer named that has no change here yet), which has nothing to read.
    pub(crate) fn doc_with_content(&mut self, id: &DocumentId) -> Result<Option<&mut Automerge>> {
        Ok(self.doc(id)?.filter(|d| !d.get_heads().is_empty()))
    }

    /// Every change of a document (what a peer that has nothing needs).
    pub fn doc_changes(&mut self, id: &DocumentId) -> Result<Vec<Vec<u8>>> {
        let doc = self
            .doc(id)?
            .ok_or(CoreError::NotFound { what: "document" })?;
        Ok(doc
            .get_changes(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect())
    }

    /// The document's saved form (for handing to a peer or a test).
    pub fn doc_bytes(&mut self, id: &DocumentId) -> Result<Vec<u8>> {
        let doc = self
            .doc(id)?
            .ok_or(CoreError::NotFound { what: "document" })?;
        Ok(doc.save())
    }

    /// Folds one document's change log into a snapshot.
    #[tracing::instrument(skip(self), fields(doc = %id))]
    pub fn compact(&mut self, id: &DocumentId) -> Result<()> {
        let snapshot = {
            let doc = self
                .doc(id)?
                .ok_or(CoreError::NotFound { what: "document" })?;
            doc.save()
        };
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE docs SET snapshot = ?2, change_count = 0 WHERE id = ?1",
            params![id.as_bytes(), snapshot],
        )?;
        let removed = tx.execute("DELETE FROM changes WHERE doc_id = ?1", [id.as_bytes()])?;
        tx.commit()?;
        tracing::debug!(removed, bytes = snapshot.len(), "compacted");
        Ok(())
    }

    /// Compacts every document with a change log.
    pub fn compact_all(&mut self) -> Result<usize> {
        let ids: Vec<Vec<u8>> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM docs WHERE change_count > 0")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        for id in &ids {
            let id = DocumentId::from_bytes(id).map_err(|e| CoreError::Corrupt(e.to_string()))?;
            self.compact(&id)?;
        }
        self.vacuum_free_pages()?;
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(ids.len())
    }

    /// Returns free pages to the filesystem. The pragma frees one page per step, so it is
    /// stepped to the end.
    fn vacuum_free_pages(&self) -> Result<()> {
        let mut stmt = self.conn.prepare("PRAGMA incremental_vacuum")?;
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {}
        Ok(())
    }

    /// Drops every loaded document from memory (they reload from disk on next use).
    pub fn clear_cache(&mut self) {
        self.cache.clear();
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

fn load_or_create_actor(conn: &Connection) -> Result<ActorId> {
    let existing: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM meta WHERE key = 'actor'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(bytes) = existing {
        return Ok(ActorId::from(bytes));
    }
    let actor = ActorId::random();
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('actor', ?1)",
        [actor.to_bytes()],
    )?;
    Ok(actor)
}
