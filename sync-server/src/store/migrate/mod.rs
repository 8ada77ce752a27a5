//! `wangge-relay admin migrate`: a relay's SQLite database copied into PostgreSQL (and its
//! photos, if the new deployment keeps them in S3, into the bucket), then verified, for a
//! town whose relay outgrows one machine.
//!
//! What is copied: every table, row for row, with the same values: accounts, devices and
//! their token hashes (devices keep their tokens), enrollment codes, documents and their
//! change chunks byte for byte, the relay's sync state with every device (so a device
//! reconnecting to the new service exchanges heads and nothing more), admin changes,
//! blobs and uploads under way (a device resumes its upload against the new service).
//!
//! How it stays safe:
//!
//! - The source is read in one read transaction, a consistent snapshot even if a relay
//!   were still writing to it (stop it first all the same: what it writes afterwards is
//!   not copied). It is never written to, apart from being brought to the current schema
//!   by opening it as the relay does.
//! - The target must be empty (a fresh database with the schema the relay creates). The
//!   whole copy is one PostgreSQL transaction, verified before it commits: any error or
//!   disagreement leaves the target as empty as it was.
//! - Verification: for each table, the row count and a digest of all rows
//!   ([`TableDigest`]) computed from the source as read and from the target as read back
//!   inside the transaction must agree. A photo moved to object storage is first checked
//!   against its content address, then read back from the bucket and hashed again.
//! - A table the migration does not know (a schema newer than this binary on either side)
//!   stops it before anything is copied.
//!
//! Photos already PUT into the bucket when a later step fails stay there: they are named
//! by their content, so a second run writes the same objects again and nothing refers to
//! a wrong one.

pub mod backup;
mod tables;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::{Client, NoTls, Transaction};
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};

pub use tables::TableDigest;
use tables::{
    BLOB_BYTES, BLOB_LOCATION, BLOB_SHA256, BLOB_SIZE, BLOBS, TABLES, Table, Val, from_pg,
    from_sqlite,
};

use super::objects::ObjectBlobs;

/// Why a migration stopped. Nothing is committed to the target when it does.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The source is not a `sqlite:` URL naming an existing file, or the target not a
    /// `postgres://` URL.
    #[error("{0}")]
    Usage(String),
    /// The target database already holds data.
    #[error(
        "the target database is not empty ({0}); migrate into a new, empty database \
         (createdb), never over a running service's"
    )]
    TargetNotEmpty(String),
    /// A table exists that this version of the migration does not copy.
    #[error(
        "the {side} database has a table this relay version does not know ({table}); use the \
         relay version that created it"
    )]
    UnknownTable {
        /// `source` or `target`.
        side: &'static str,
        /// The table's name.
        table: String,
    },
    /// A source row breaks the schema's rules (named by table and column, no values).
    #[error("the source's table {table} holds a row that cannot be copied: {why}")]
    BadRow {
        /// The table.
        table: &'static str,
        /// Which column and what was wrong.
        why: String,
    },
    /// A photo's bytes do not hash to the content address they are stored under.
    #[error(
        "the photo {sha256} in the source does not match its content address (damaged); \
         nothing was migrated"
    )]
    DamagedPhoto {
        /// The photo's recorded SHA-256.
        sha256: String,
    },
    /// The copy read back disagrees with the source.
    #[error("verification failed for table {table}: {what}; nothing was migrated")]
    Mismatch {
        /// The table (or `photos`).
        table: String,
        /// What disagreed.
        what: String,
    },
    /// The source database could not be read.
    #[error("reading the source database: {0}")]
    Source(#[from] rusqlite::Error),
    /// The target database failed.
    #[error("writing the target database: {0}")]
    Target(#[from] postgres::Error),
    /// The relay store (opening either side, the object store).
    #[error("{0}")]
    Store(#[from] super::StoreError),
}

/// One table as migrated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// The table.
    pub name: &'static str,
    /// Rows copied (and counted again in the target).
    pub rows: u64,
    /// The digest both sides agreed on.
    pub digest: TableDigest,
}

/// What a migration did.
#[derive(Debug, Clone)]
pub struct MigrateReport {
    /// Every table, in copy order.
    pub tables: Vec<TableReport>,
    /// The admin generation carried over.
    pub admin_generation: i64,
    /// Photos whose bytes went from the database to object storage, and their bytes.
    pub photos_to_objects: u64,
    /// Their total size.
    pub photo_bytes: u64,
    /// How long the whole migration took.
    pub elapsed: Duration,
}

impl MigrateReport {
    /// Rows copied in `table`.
    pub fn rows(&self, table: &str) -> Option<u64> {
        self.tables.iter().find(|t| t.name == table).map(|t| t.rows)
    }
}

/// Copies the relay database at `from` (`sqlite:PATH`) into the empty PostgreSQL
/// database at `to` (`postgres://…`, created by the DBA; the schema is created here), and
/// with `photos` moves the photos' bytes into that object store. `progress` hears each
/// table's name and rows as it finishes. See the module docs for what is guaranteed.
pub fn migrate(
    from: &str,
    to: &str,
    photos: Option<&Arc<ObjectBlobs>>,
    mut progress: impl FnMut(&str, u64),
) -> Result<MigrateReport, MigrateError> {
    let started = Instant::now();
    let source_path = sqlite_path(from)?;
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        return Err(MigrateError::Usage(
            "--to must be a postgres://… URL (a new, empty database)".into(),
        ));
    }
    // Open both the way the relay does: brings each to the current schema.
    drop(super::sqlite::SqliteStore::open(source_path)?);
    drop(super::postgres::PgStore::open(to)?);

    let source = Connection::open_with_flags(
        source_path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // One snapshot for the whole read (WAL readers see the state at their first read).
    source.execute_batch("BEGIN DEFERRED")?;
    check_source_tables(&source)?;

    let config: postgres::Config = to
        .parse()
        .map_err(|e| MigrateError::Usage(format!("--to: postgres://… ({e})")))?;
    let mut client = config.connect(NoTls)?;
    check_target_tables(&mut client)?;
    let mut tx = client.transaction()?;
    // Nobody else may write while the copy runs; a second migration waits, then finds
    // the target not empty.
    for t in TABLES {
        tx.batch_execute(&format!("LOCK TABLE {} IN EXCLUSIVE MODE", t.name))?;
    }
    check_target_empty(&mut tx)?;

    let mut report = MigrateReport {
        tables: vec![],
        admin_generation: 0,
        photos_to_objects: 0,
        photo_bytes: 0,
        elapsed: Duration::ZERO,
    };
    for table in TABLES {
        let (rows, digest) = copy_table(&source, &mut tx, table, photos, &mut report)?;
        verify_table(&mut tx, table, rows, digest)?;
        progress(table.name, rows);
        report.tables.push(TableReport {
            name: table.name,
            rows,
            digest,
        });
    }
    let generation: i64 = source.query_row(
        "SELECT generation FROM admin_generation WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "UPDATE admin_generation SET generation = $1 WHERE id = 1",
        &[&generation],
    )?;
    report.admin_generation = generation;
    tx.commit()?;
    source.execute_batch("COMMIT")?;
    report.elapsed = started.elapsed();
    Ok(report)
}

fn sqlite_path(url: &str) -> Result<&Path, MigrateError> {
    let path = url
        .strip_prefix("sqlite:")
        .map(|p| p.strip_prefix("//").unwrap_or(p))
        .filter(|p| !p.is_empty() && *p != ":memory:")
        .ok_or_else(|| {
            MigrateError::Usage("--from must be a sqlite:PATH URL (the relay's file)".into())
        })?;
    let path = Path::new(path);
    if !path.is_file() {
        return Err(MigrateError::Usage(format!(
            "--from: no database file at {}",
            path.display()
        )));
    }
    Ok(path)
}

/// The tables the migration knows, plus the one-row admin generation.
fn known_tables() -> BTreeSet<&'static str> {
    TABLES
        .iter()
        .map(|t| t.name)
        .chain(["admin_generation"])
        .collect()
}

fn check_source_tables(source: &Connection) -> Result<(), MigrateError> {
    let mut stmt = source.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    unknown(names, "source")
}

fn check_target_tables(client: &mut Client) -> Result<(), MigrateError> {
    let names = client
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            &[],
        )?
        .iter()
        .map(|r| r.try_get::<_, String>(0))
        .collect::<Result<Vec<_>, _>>()?;
    // The migrations' own bookkeeping is not relay data.
    unknown(
        names
            .into_iter()
            .filter(|n| n != "wangge_schema_migrations"),
        "target",
    )
}

fn unknown(
    names: impl IntoIterator<Item = String>,
    side: &'static str,
) -> Result<(), MigrateError> {
    let known = known_tables();
    match names.into_iter().find(|n| !known.contains(n.as_str())) {
        Some(table) => Err(MigrateError::UnknownTable { side, table }),
        None => Ok(()),
    }
}

fn check_target_empty(tx: &mut Transaction<'_>) -> Result<(), MigrateError> {
    let mut held = vec![];
    for t in TABLES {
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {}", t.name), &[])?
            .try_get(0)?;
        if n > 0 {
            held.push(format!("{}: {n} rows", t.name));
        }
    }
    let generation: i64 = tx
        .query_one("SELECT generation FROM admin_generation WHERE id = 1", &[])?
        .try_get(0)?;
    if generation != 0 {
        held.push(format!("admin generation {generation}"));
    }
    if held.is_empty() {
        Ok(())
    } else {
        Err(MigrateError::TargetNotEmpty(held.join(", ")))
    }
}

/// Streams one table from the source into the target with a binary COPY; returns the
/// rows copied and the digest of the rows as written.
fn copy_table(
    source: &Connection,
    tx: &mut Transaction<'_>,
    table: &'static Table,
    photos: Option<&Arc<ObjectBlobs>>,
    report: &mut MigrateReport,
) -> Result<(u64, TableDigest), MigrateError> {
    let columns = table.column_list();
    let mut stmt = source.prepare(&format!(
        "SELECT {columns} FROM {} ORDER BY rowid",
        table.name
    ))?;
    let mut rows = stmt.query([])?;
    let sink = tx.copy_in(&format!(
        "COPY {} ({columns}) FROM STDIN (FORMAT binary)",
        table.name
    ))?;
    let mut writer = BinaryCopyInWriter::new(sink, &table.pg_types());
    let mut count = 0u64;
    let mut digest = TableDigest::default();
    while let Some(row) = rows.next()? {
        let mut vals = Vec::with_capacity(table.columns.len());
        for (i, column) in table.columns.iter().enumerate() {
            let v = from_sqlite(column, row.get_ref(i)?).map_err(|why| MigrateError::BadRow {
                table: table.name,
                why,
            })?;
            vals.push(v);
        }
        if table.name == BLOBS {
            blob_row(&mut vals, photos, report)?;
        }
        let params: Vec<_> = vals.iter().map(Val::as_sql).collect();
        writer.write(&params)?;
        digest.add(&vals);
        count += 1;
    }
    writer.finish()?;
    Ok((count, digest))
}

/// A blob row on its way: checked against its content address, and with object storage
/// its bytes PUT there, read back and checked again, the row then saying where they are.
fn blob_row(
    vals: &mut [Val],
    photos: Option<&Arc<ObjectBlobs>>,
    report: &mut MigrateReport,
) -> Result<(), MigrateError> {
    let bad = |why: &str| MigrateError::BadRow {
        table: BLOBS,
        why: why.into(),
    };
    let sha256 = vals[BLOB_SHA256]
        .text()
        .ok_or_else(|| bad("sha256 is not text"))?
        .to_owned();
    let location = vals[BLOB_LOCATION]
        .text()
        .ok_or_else(|| bad("location is not text"))?
        .to_owned();
    let damaged = || MigrateError::DamagedPhoto {
        sha256: sha256.clone(),
    };
    match (location.as_str(), photos) {
        ("database", objects) => {
            let size = vals[BLOB_SIZE]
                .int()
                .ok_or_else(|| bad("size is not an integer"))?;
            let Val::Bytes(bytes) = &mut vals[BLOB_BYTES] else {
                return Err(bad("bytes is not a blob"));
            };
            if hex::encode(Sha256::digest(&bytes[..])) != sha256
                || i64::try_from(bytes.len()).ok() != Some(size)
            {
                return Err(damaged());
            }
            let Some(objects) = objects else {
                return Ok(());
            };
            let moved = std::mem::take(bytes);
            let len = moved.len() as u64;
            objects.put(&sha256, moved)?;
            let back = objects
                .get(&sha256)?
                .ok_or_else(|| MigrateError::Mismatch {
                    table: "photos".into(),
                    what: format!("photo {sha256} is not in the bucket after it was stored"),
                })?;
            if hex::encode(Sha256::digest(&back)) != sha256 {
                return Err(MigrateError::Mismatch {
                    table: "photos".into(),
                    what: format!("photo {sha256} reads back from the bucket different"),
                });
            }
            vals[BLOB_LOCATION] = Val::Text("object".into());
            report.photos_to_objects += 1;
            report.photo_bytes += len;
            Ok(())
        }
        ("object", Some(objects)) => {
            // Kept in object storage already: it must be in the bucket the new service uses.
            if objects.exists(&sha256)? {
                Ok(())
            } else {
                Err(MigrateError::Mismatch {
                    table: "photos".into(),
                    what: format!(
                        "photo {sha256} is recorded as in object storage but the configured \
                         bucket does not have it (another bucket or prefix?)"
                    ),
                })
            }
        }
        ("object", None) => Err(MigrateError::Usage(
            "the source keeps photos in object storage: configure the same bucket for the \
             new service ([photos] store = \"s3\" or WANGGE_S3_*)"
                .into(),
        )),
        _ => Err(bad("unknown location")),
    }
}

/// Reads the table back inside the transaction: its count and digest must be the source's.
fn verify_table(
    tx: &mut Transaction<'_>,
    table: &'static Table,
    rows: u64,
    digest: TableDigest,
) -> Result<(), MigrateError> {
    let stmt = tx.prepare(&format!(
        "SELECT {} FROM {}",
        table.column_list(),
        table.name
    ))?;
    let portal = tx.bind(&stmt, &[])?;
    let mut count = 0u64;
    let mut got = TableDigest::default();
    loop {
        // Batches keep memory bounded on tables of change chunks and photos.
        let batch = tx.query_portal(&portal, 500)?;
        if batch.is_empty() {
            break;
        }
        for row in &batch {
            let vals = table
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| from_pg(c, row, i))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|what| MigrateError::Mismatch {
                    table: table.name.into(),
                    what,
                })?;
            got.add(&vals);
            count += 1;
        }
    }
    if count != rows {
        return Err(MigrateError::Mismatch {
            table: table.name.into(),
            what: format!("{rows} rows read, {count} in the target"),
        });
    }
    if got != digest {
        return Err(MigrateError::Mismatch {
            table: table.name.into(),
            what: "the rows differ (digest)".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
