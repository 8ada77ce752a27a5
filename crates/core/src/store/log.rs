//! The one write path of document changes, for local actions and remote changes alike:
//! append to the change log, update the `docs` row, rebuild the touched index rows.

use automerge::{Automerge, ChangeHash};
use chrono_tz::Tz;
use rusqlite::{Connection, params};
use wangge_proto::DocumentId;

use super::index;
use crate::doc::DocKind;
use crate::error::Result;

/// A change as stored: its hash and raw bytes.
pub(crate) type RawChange = (Vec<u8>, Vec<u8>);

/// Writes `changes` of document `id` (whose cached state is `doc`, gained since `before`)
/// inside the caller's transaction. `kind` is `None` while a remote document still lacks
/// its first change; it is then logged but not indexed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn log_changes(
    tx: &Connection,
    doc: &Automerge,
    id: &DocumentId,
    kind: Option<DocKind>,
    scope: &str,
    changes: &[RawChange],
    local: bool,
    before: &[ChangeHash],
    now: i64,
    tz: Tz,
) -> Result<()> {
    let mut ins = tx.prepare_cached(
        "INSERT INTO changes (doc_id, hash, bytes, local, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (hash, bytes) in changes {
        ins.execute(params![id.as_bytes(), hash, bytes, local, now])?;
    }
    tx.prepare_cached(
        "INSERT INTO docs (id, kind, scope, change_count, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET kind = ?2, scope = ?3,
           change_count = change_count + ?4, updated_at = ?5, retired = 0",
    )?
    .execute(params![
        id.as_bytes(),
        kind.map_or("", DocKind::code),
        scope,
        changes.len() as i64,
        now
    ])?;
    if let Some(kind) = kind {
        index::reindex(tx, doc, id, kind, before, now, tz)?;
    }
    Ok(())
}
