//! `wangge-relay admin backup` and `admin restore`: an online copy of a relay's SQLite
//! database, taken while the relay serves, and its restore into a fresh file, verified.
//!
//! - **Backup.** `VACUUM INTO` writes a compact copy from one read transaction: a
//!   consistent snapshot of everything committed when it started, while devices go on
//!   writing (SQLite's WAL lets the relay commit meanwhile). Every change the relay
//!   acknowledged before the backup began is in it, since the relay acknowledges only
//!   after its commit. The copy is then read back: `PRAGMA integrity_check`, each table's
//!   rows and digest (the migration's [`TableDigest`]), and every photo held in the
//!   database hashed against its content address. Those figures go into a manifest beside
//!   it (`FILE.manifest.json`); the copy and its manifest appear under their names only
//!   once both are complete.
//! - **Restore.** Into a path where no database is: the copy is written under a temporary
//!   name, checked the same way and compared with the manifest, brought to this relay's
//!   schema, and only then renamed into place. Any failure leaves nothing at the target.
//!
//! Photos kept in an S3 bucket (`[photos] store = "s3"`) are not in the database: the
//! bucket's own versioning or replication keeps them; the backup says how many it did not
//! hold. A PostgreSQL relay is backed up with `pg_dump`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::tables::{BLOB_BYTES, BLOB_LOCATION, BLOB_SHA256, BLOBS, TABLES, Val, from_sqlite};
use super::{MigrateError, TableDigest, sqlite_path};

/// What the manifest says this file is.
const FORMAT: &str = "wangge-relay-backup";
/// The manifest's version.
const VERSION: u32 = 1;

/// Why a backup or restore stopped. A failed backup leaves no file under its name; a
/// failed restore leaves nothing at the target.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Wrong arguments (the message says which).
    #[error("{0}")]
    Usage(String),
    /// Something is already at the path written to.
    #[error("{} exists; back up or restore to a new path", .0.display())]
    Exists(PathBuf),
    /// The manifest is missing, unreadable or not a relay backup's.
    #[error("the backup's manifest {}: {why}", .path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// SQLite's integrity check failed on the copy.
    #[error("the copy fails SQLite's integrity check: {0}")]
    Integrity(String),
    /// The copy disagrees with its manifest.
    #[error("the copy disagrees with its manifest on {table}: {what}")]
    Mismatch {
        /// The table.
        table: String,
        /// What disagreed.
        what: String,
    },
    /// Reading a table or a photo failed its checks (a damaged photo, a bad row).
    #[error(transparent)]
    Check(#[from] MigrateError),
    /// SQLite failed.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file could not be written or read.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
}

/// One table in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableFigures {
    /// The table.
    pub name: String,
    /// Its rows.
    pub rows: u64,
    /// Its digest (hex, see [`TableDigest`]).
    pub digest: String,
}

/// The manifest beside a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `wangge-relay-backup`.
    pub format: String,
    /// The manifest version.
    pub version: u32,
    /// When the backup was taken (unix seconds).
    pub taken_at: i64,
    /// Every table the relay keeps, in the migration's order.
    pub tables: Vec<TableFigures>,
    /// Photos held in the database, each hashed against its name.
    pub photos_checked: u64,
    /// Photos recorded as kept in object storage (not in this file).
    pub photos_in_bucket: u64,
}

/// What a backup or restore did.
#[derive(Debug, Clone)]
pub struct BackupReport {
    /// The file written.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The file's size in bytes.
    pub bytes: u64,
    /// How long it took.
    pub elapsed: Duration,
}

impl BackupReport {
    /// Rows of `table`.
    pub fn rows(&self, table: &str) -> Option<u64> {
        self.manifest
            .tables
            .iter()
            .find(|t| t.name == table)
            .map(|t| t.rows)
    }
}

/// The manifest's path for backup file `file`.
pub fn manifest_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}

fn partial_path(file: &Path, what: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(format!(".{what}-{}", std::process::id()));
    PathBuf::from(name)
}

/// Removes `path` when dropped unless disarmed: a failed step leaves no partial file.
struct Cleanup(Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Backs up the relay database `from` (`sqlite:PATH`) into the new file `to`, while the
/// relay may be serving. See the module docs.
pub fn backup(from: &str, to: &Path) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    let source_path = sqlite_path(from).map_err(|e| BackupError::Usage(e.to_string()))?;
    let manifest_file = manifest_path(to);
    for p in [to, manifest_file.as_path()] {
        if p.exists() {
            return Err(BackupError::Exists(p.to_owned()));
        }
    }
    let tmp = partial_path(to, "partial");
    let tmp_manifest = partial_path(&manifest_file, "partial");
    let mut cleanup = Cleanup(vec![tmp.clone(), tmp_manifest.clone()]);
    {
        let source = Connection::open_with_flags(
            source_path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        source.busy_timeout(Duration::from_secs(30))?;
        let target = tmp
            .to_str()
            .ok_or_else(|| BackupError::Usage("--to must be a UTF-8 path".into()))?;
        source.execute("VACUUM INTO ?1", [target])?;
    }
    let (tables, photos_checked, photos_in_bucket) = check_file(&tmp)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        taken_at: unix_now(),
        tables,
        photos_checked,
        photos_in_bucket,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Manifest {
        path: manifest_file.clone(),
        why: e.to_string(),
    })?;
    std::fs::write(&tmp_manifest, json)?;
    sync_file(&tmp)?;
    sync_file(&tmp_manifest)?;
    std::fs::rename(&tmp, to)?;
    std::fs::rename(&tmp_manifest, &manifest_file)?;
    cleanup.0.clear();
    Ok(BackupReport {
        path: to.to_owned(),
        bytes: std::fs::metadata(to)?.len(),
        manifest,
        elapsed: started.elapsed(),
    })
}

/// Restores backup file `from` (with its manifest beside it) into `to` (`sqlite:PATH`,
/// where no database is yet), verifying it first. See the module docs.
pub fn restore(from: &Path, to: &str) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    let target = to
        .strip_prefix("sqlite:")
        .map(|p| p.strip_prefix("//").unwrap_or(p))
        .filter(|p| !p.is_empty() && *p != ":memory:")
        .map(PathBuf::from)
        .ok_or_else(|| BackupError::Usage("--to must be a sqlite:PATH URL (a new file)".into()))?;
    if !from.is_file() {
        return Err(BackupError::Usage(format!(
            "--from: no backup file at {}",
            from.display()
        )));
    }
    for p in [
        target.clone(),
        PathBuf::from(format!("{}-wal", target.display())),
    ] {
        if p.exists() {
            return Err(BackupError::Exists(p));
        }
    }
    let manifest = read_manifest(from)?;
    let tmp = partial_path(&target, "restoring");
    let mut cleanup = Cleanup(vec![
        tmp.clone(),
        PathBuf::from(format!("{}-wal", tmp.display())),
        PathBuf::from(format!("{}-shm", tmp.display())),
    ]);
    std::fs::copy(from, &tmp)?;
    let (tables, photos_checked, photos_in_bucket) = check_file(&tmp)?;
    compare(&manifest, &tables)?;
    if (photos_checked, photos_in_bucket) != (manifest.photos_checked, manifest.photos_in_bucket) {
        return Err(BackupError::Mismatch {
            table: BLOBS.into(),
            what: format!(
                "{photos_checked} photos in the file and {photos_in_bucket} in the bucket, \
                 the manifest says {} and {}",
                manifest.photos_checked, manifest.photos_in_bucket
            ),
        });
    }
    // Brought to this relay's schema as the relay opens it (a backup of an older relay).
    drop(crate::store::sqlite::SqliteStore::open(&tmp).map_err(MigrateError::from)?);
    sync_file(&tmp)?;
    std::fs::rename(&tmp, &target)?;
    cleanup.0.clear();
    Ok(BackupReport {
        bytes: std::fs::metadata(&target)?.len(),
        path: target,
        manifest,
        elapsed: started.elapsed(),
    })
}

fn read_manifest(file: &Path) -> Result<Manifest, BackupError> {
    let path = manifest_path(file);
    let bad = |why: String| BackupError::Manifest {
        path: path.clone(),
        why,
    };
    let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a manifest ({e})")))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(bad(format!(
            "format {} version {}, this relay reads {FORMAT} version {VERSION}",
            manifest.format, manifest.version
        )));
    }
    Ok(manifest)
}

fn compare(manifest: &Manifest, found: &[TableFigures]) -> Result<(), BackupError> {
    for want in &manifest.tables {
        let got = found.iter().find(|t| t.name == want.name);
        match got {
            None => {
                return Err(BackupError::Mismatch {
                    table: want.name.clone(),
                    what: "missing from the file".into(),
                });
            }
            Some(got) if got.rows != want.rows => {
                return Err(BackupError::Mismatch {
                    table: want.name.clone(),
                    what: format!("{} rows, the manifest says {}", got.rows, want.rows),
                });
            }
            Some(got) if got.digest != want.digest => {
                return Err(BackupError::Mismatch {
                    table: want.name.clone(),
                    what: "its rows differ from those backed up".into(),
                });
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = found
        .iter()
        .find(|t| !manifest.tables.iter().any(|m| m.name == t.name))
    {
        return Err(BackupError::Mismatch {
            table: extra.name.clone(),
            what: "not in the manifest".into(),
        });
    }
    Ok(())
}

/// Integrity check, each table's figures, and every photo held in the file hashed:
/// returns the figures and how many photos were checked and how many are in a bucket.
fn check_file(path: &Path) -> Result<(Vec<TableFigures>, u64, u64), BackupError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| BackupError::Integrity(e.to_string()))?;
    if verdict != "ok" {
        return Err(BackupError::Integrity(verdict));
    }
    conn.execute_batch("BEGIN DEFERRED")?;
    let mut figures = Vec::with_capacity(TABLES.len());
    let (mut checked, mut in_bucket) = (0u64, 0u64);
    for table in TABLES {
        let mut stmt = conn.prepare(&format!(
            "SELECT {} FROM {}",
            table.column_list(),
            table.name
        ))?;
        let mut rows = stmt.query([])?;
        let mut digest = TableDigest::default();
        let mut count = 0u64;
        while let Some(row) = rows.next()? {
            let mut vals = Vec::with_capacity(table.columns.len());
            for (i, column) in table.columns.iter().enumerate() {
                let v =
                    from_sqlite(column, row.get_ref(i)?).map_err(|why| MigrateError::BadRow {
                        table: table.name,
                        why,
                    })?;
                vals.push(v);
            }
            if table.name == BLOBS {
                if photo_held(&vals)? {
                    checked += 1;
                } else {
                    in_bucket += 1;
                }
            }
            digest.add(&vals);
            count += 1;
        }
        figures.push(TableFigures {
            name: table.name.into(),
            rows: count,
            digest: digest.hex(),
        });
    }
    conn.execute_batch("COMMIT")?;
    Ok((figures, checked, in_bucket))
}

/// Whether a blob row holds its photo in the database; if so, its bytes must hash to
/// its content address.
fn photo_held(vals: &[Val]) -> Result<bool, BackupError> {
    let (Some(sha256), Some(location)) = (vals[BLOB_SHA256].text(), vals[BLOB_LOCATION].text())
    else {
        return Err(MigrateError::BadRow {
            table: BLOBS,
            why: "sha256 or location is not text".into(),
        }
        .into());
    };
    if location != "database" {
        return Ok(false);
    }
    match &vals[BLOB_BYTES] {
        Val::Bytes(b) if hex::encode(Sha256::digest(b)) == sha256 => Ok(true),
        _ => Err(MigrateError::DamagedPhoto {
            sha256: sha256.to_owned(),
        }
        .into()),
    }
}

fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
