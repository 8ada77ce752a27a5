//! Photo transfers, beside the WebSocket worker: uploads the store's queue over tus 1.0
//! (creation + checksum) and downloads the photos that reports reference but the store
//! does not hold.
//!
//! - An upload resumes from the relay's offset: with a saved upload URL it asks first
//!   (`HEAD`), never trusting its own record alone, and never starts over unless the
//!   relay has forgotten the upload. Chunks are `PATCH`ed with `Upload-Checksum: sha256`,
//!   so a damaged chunk is refused alone; the offset the relay confirms is saved after
//!   each chunk, so an app restart resumes too.
//! - The relay deduplicates: creation answers complete when it holds the photo in that
//!   scope already, and nothing is sent.
//! - A download is verified against its SHA-256 and stored with a thumbnail. A `404` (the
//!   author has not uploaded yet, or the photo is outside this device's scope: the relay
//!   does not say which) is retried later with a per-photo backoff, so a photo that never
//!   comes costs a bounded trickle of requests.
//! - Failures back off with jitter like the WebSocket worker. Logs name photos by a hash
//!   prefix only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use reqwest::Method;
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, sleep, sleep_until};
use wangge_schema::directory::Directory;
use wangge_schema::tus::{BLOBS_PATH, FILES_PATH, TUS_VERSION, UploadMetadata, encode_checksum};
use wangge_schema::{DIRECTORY_PATH, RelayUrl};

use super::http::{Answer, Bytes, Conn};
use super::{SyncConfig, SyncStatus, lock};
use crate::model::Unit;
use crate::photos::{Settings, thumbnail_of};
use crate::store::{MAX_BLOB_BYTES, Store, Subscription, UploadJob};

/// Largest non-photo answer read.
const MAX_ANSWER: usize = 64 * 1024;
/// Time allowed for one request and its answer (a chunk on a slow link included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Times in a row a chunk may be refused for its checksum before the pass gives up.
const MAX_BAD_CHUNKS: u32 = 3;

/// A photo the relay answered `404` for, and when to ask again.
struct Retry {
    failures: u32,
    next: Instant,
}

/// The transfer task.
pub(super) struct PhotoWorker {
    pub store: Arc<Mutex<Store>>,
    /// The relay, or why it cannot be reached.
    pub relay: Result<RelayUrl, &'static str>,
    pub token: String,
    pub cfg: SyncConfig,
    pub status: watch::Sender<SyncStatus>,
    /// Wakes this task (a nudge: sync now).
    pub wake: Arc<Notify>,
    /// The store's change feed, for uploads queued by an action.
    pub uploads: Subscription,
    /// Wakes the WebSocket worker, which recomputes `synced`.
    pub docs: Arc<Notify>,
}

/// A short, log-safe name for a photo.
fn tag(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn jitter(d: Duration) -> Duration {
    d.mul_f64(rand::rng().random_range(0.5..1.0))
}

/// The path of an upload `Location` (absolute or not).
fn location_path(location: &str) -> Option<String> {
    let path = match location.split_once("://") {
        Some((_, rest)) => &rest[rest.find('/')?..],
        None => location,
    };
    path.contains(&format!("{FILES_PATH}/"))
        .then(|| path.to_owned())
}

fn tus() -> (&'static str, String) {
    ("tus-resumable", TUS_VERSION.to_owned())
}

/// What creating an upload gave.
enum Created {
    /// The upload path and the relay's offset (`length` when it already holds the photo).
    At(String, u64),
    /// The relay will not take this photo (its code).
    Refused(String),
}

/// The (online, synced, docs pending) view of the WebSocket worker's status.
type DocsView = (bool, bool, usize);

fn docs_view(s: &SyncStatus) -> DocsView {
    (s.online, s.synced, s.docs_pending)
}

/// Returns once the WebSocket side of the status changed (documents arrived, the link
/// came up); never when only photo fields changed.
async fn docs_changed(rx: &mut watch::Receiver<SyncStatus>, last: &mut DocsView) {
    loop {
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
        let now = docs_view(&rx.borrow_and_update());
        if now != *last {
            *last = now;
            return;
        }
    }
}

/// How often the directory (名录) is fetched again while the link is up.
const DIRECTORY_EVERY: Duration = Duration::from_secs(6 * 3600);

/// The largest directory answer read (a district's units by name, with room to spare).
const MAX_DIRECTORY_BYTES: usize = 4 << 20;

impl PhotoWorker {
    pub async fn run(self) {
        let mut retries: HashMap<String, Retry> = HashMap::new();
        let mut delay = self.cfg.backoff_min;
        let mut seen = self.status.subscribe();
        let mut last = docs_view(&seen.borrow_and_update());
        // The directory is fetched once the link is up, then every DIRECTORY_EVERY; a
        // failed fetch is tried again with its own backoff, whatever the photos do.
        let mut directory_due = Instant::now();
        let mut directory_delay = self.cfg.backoff_min;
        loop {
            let result = self.pass(&mut retries).await;
            self.publish(&retries);
            if self.status.borrow().online && Instant::now() >= directory_due {
                match self.fetch_directory().await {
                    Ok(n) => {
                        tracing::info!(units = n, "directory fetched");
                        self.status
                            .send_modify(|s| s.directory_at = Some(chrono::Utc::now()));
                        directory_due = Instant::now() + DIRECTORY_EVERY;
                        directory_delay = self.cfg.backoff_min;
                    }
                    Err(code) => {
                        tracing::info!(code, "directory not fetched; trying again later");
                        directory_due = Instant::now() + jitter(directory_delay);
                        directory_delay = (directory_delay * 2).min(self.cfg.backoff_max);
                    }
                }
            }
            if let Err(code) = result {
                tracing::info!(code, "photo transfer interrupted; retrying");
                self.status.send_modify(|s| {
                    s.last_error = Some(code);
                    s.photo_progress = None;
                });
                sleep(jitter(delay)).await;
                delay = (delay * 2).min(self.cfg.backoff_max);
                continue;
            }
            delay = self.cfg.backoff_min;
            // Uploads left (refused for now): look again soon. Nothing left: every change
            // that brings work wakes this task, the recheck only catches what none does
            // (photos added to a report already held), so it is rare on an idle phone.
            let recheck = if self.status.borrow().photos_pending > 0 {
                self.cfg.poll_interval
            } else {
                self.cfg.idle_recheck
            };
            let next_fetch = retries.values().map(|r| r.next).min();
            let retry_at = async {
                match next_fetch {
                    Some(at) => sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let online = self.status.borrow().online;
            let directory_at = async {
                if online {
                    sleep_until(directory_due).await;
                } else {
                    // Going online changes the status, which wakes this task below.
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = directory_at => {}
                () = self.uploads.changed() => {
                    let _ = self.uploads.take();
                }
                () = sleep(recheck) => {}
                () = retry_at => {}
                () = docs_changed(&mut seen, &mut last) => {}
            }
        }
    }

    /// A client for the relay with this device's token (it connects at its first request).
    fn connect(&self) -> Result<(RelayUrl, Conn), &'static str> {
        let relay = self.relay.clone()?;
        let conn = Conn::open(
            &relay,
            &self.cfg.transport,
            &self.token,
            self.cfg.connect_timeout,
        )?;
        Ok((relay, conn))
    }

    /// Fetches the directory (the units under this device's scopes, by name) and keeps it
    /// in the store; returns how many units it holds. Entries with a code that is not a
    /// valid one, or no name, are left out.
    async fn fetch_directory(&self) -> Result<usize, &'static str> {
        let (relay, mut conn) = self.connect()?;
        let a: Answer = conn
            .send(
                Method::GET,
                &relay.path(DIRECTORY_PATH),
                &[],
                Bytes::new(),
                MAX_DIRECTORY_BYTES,
                REQUEST_TIMEOUT,
            )
            .await?;
        if a.status != 200 {
            return Err("directory_refused");
        }
        let answer: Directory =
            serde_json::from_slice(&a.body).map_err(|_| "directory_unreadable")?;
        let units: Vec<Unit> = answer
            .units
            .iter()
            .filter_map(|u| Unit::from_relay(&u.code, &u.name))
            .collect();
        lock(&self.store)
            .replace_directory(&units, &answer.people)
            .map_err(|_| "store")?;
        Ok(units.len())
    }

    /// Uploads everything queued, then fetches the missing photos that are due, over one
    /// connection.
    async fn pass(&self, retries: &mut HashMap<String, Retry>) -> Result<(), &'static str> {
        let (jobs, missing) = {
            let store = lock(&self.store);
            (
                store.uploads_pending().map_err(|_| "store")?,
                store.photos_to_fetch().map_err(|_| "store")?,
            )
        };
        retries.retain(|h, _| missing.contains(h));
        let now = Instant::now();
        let due: Vec<String> = missing
            .into_iter()
            .filter(|h| retries.get(h).is_none_or(|r| r.next <= now))
            .collect();
        if jobs.is_empty() && due.is_empty() {
            return Ok(());
        }
        let (_, mut conn) = self.connect()?;
        if !jobs.is_empty() {
            for job in jobs {
                self.upload(&mut conn, job).await?;
                self.publish(retries);
            }
            // `synced` waits for the queue: let the WebSocket worker look again.
            self.docs.notify_one();
        }
        for hash in due {
            self.download(&mut conn, &hash, retries).await?;
            self.publish(retries);
        }
        Ok(())
    }

    /// Puts the store's transfer counts on the status.
    fn publish(&self, retries: &HashMap<String, Retry>) {
        let (backlog, missing) = {
            let store = lock(&self.store);
            match (store.upload_backlog(), store.photos_to_fetch()) {
                (Ok(b), Ok(m)) => (b, m.len()),
                _ => return,
            }
        };
        let unavailable = retries.len();
        self.status.send_if_modified(|s| {
            let before = s.clone();
            s.photos_pending = backlog.photos;
            s.photo_bytes_pending = backlog.bytes;
            s.photos_to_fetch = missing;
            s.photos_unavailable = unavailable;
            if backlog.photos > 0 {
                s.synced = false;
            } else {
                s.photo_progress = None;
            }
            *s != before
        });
    }

    fn progress(&self, sent: u64, total: u64) {
        self.status
            .send_modify(|s| s.photo_progress = Some((sent, total)));
    }

    fn save(&self, job: &UploadJob, url: Option<&str>, sent: u64) -> Result<(), &'static str> {
        lock(&self.store)
            .set_upload_progress(&job.hash, &job.scope, url, sent)
            .map_err(|_| "store")
    }

    fn refuse(&self, job: &UploadJob, code: &str) -> Result<(), &'static str> {
        tracing::warn!(
            photo = tag(&job.hash),
            code,
            "relay refuses the photo upload"
        );
        lock(&self.store)
            .refuse_upload(&job.hash, &job.scope, code)
            .map_err(|_| "store")
    }

    /// `POST /v1/files`.
    async fn create(
        &self,
        conn: &mut Conn,
        job: &UploadJob,
        size: u64,
    ) -> Result<Created, &'static str> {
        let scope = job.scope.parse().map_err(|_| "store")?;
        let metadata = UploadMetadata {
            sha256: job.hash.clone(),
            scope,
        }
        .encode();
        let a = conn
            .send(
                Method::POST,
                &self.relay.as_ref().map_err(|e| *e)?.path(FILES_PATH),
                &[
                    tus(),
                    ("upload-length", size.to_string()),
                    ("upload-metadata", metadata),
                ],
                Bytes::new(),
                MAX_ANSWER,
                REQUEST_TIMEOUT,
            )
            .await?;
        match a.status {
            201 => {
                let url = a
                    .header("location")
                    .and_then(location_path)
                    .ok_or("photo_protocol")?;
                let offset = a.number("upload-offset").unwrap_or(0);
                if offset > size {
                    return Err("photo_protocol");
                }
                Ok(Created::At(url, offset))
            }
            403 | 413 => Ok(Created::Refused(
                a.code().unwrap_or_else(|| a.status.to_string()),
            )),
            401 => Err("unauthorized"),
            _ => Err("photo_relay_error"),
        }
    }

    /// Sends one queued photo to its scope, resuming where the relay stands.
    async fn upload(&self, conn: &mut Conn, job: UploadJob) -> Result<(), &'static str> {
        let bytes = Bytes::from(lock(&self.store).blob(&job.hash).map_err(|_| "store")?);
        let size = bytes.len() as u64;
        let photo = tag(&job.hash);
        // Where the relay stands: ask, never trust the saved offset alone.
        let mut resumed = None;
        if let Some(url) = &job.url {
            let a = conn
                .send(
                    Method::HEAD,
                    url,
                    &[tus()],
                    Bytes::new(),
                    MAX_ANSWER,
                    REQUEST_TIMEOUT,
                )
                .await?;
            match a.status {
                200 | 204 => {
                    let offset = a
                        .number("upload-offset")
                        .filter(|o| *o <= size)
                        .ok_or("photo_protocol")?;
                    tracing::info!(photo, offset, size, "resuming photo upload");
                    resumed = Some((url.clone(), offset));
                }
                404 | 410 => tracing::info!(photo, "relay forgot the upload; creating another"),
                401 => return Err("unauthorized"),
                _ => return Err("photo_relay_error"),
            }
        }
        let (url, mut offset) = match resumed {
            Some(r) => r,
            None => match self.create(conn, &job, size).await? {
                Created::At(url, offset) => (url, offset),
                Created::Refused(code) => return self.refuse(&job, &code),
            },
        };
        self.save(&job, Some(&url), offset)?;
        let chunk = self.cfg.photo_chunk_bytes.max(1) as u64;
        let mut bad_chunks = 0;
        // Each request moves the offset or is refused a bounded number of times.
        let mut budget = 2 * size.div_ceil(chunk) + 16;
        while offset < size {
            budget = budget.checked_sub(1).ok_or("photo_protocol")?;
            self.progress(offset, size);
            let end = (offset + chunk).min(size);
            let piece = bytes.slice(offset as usize..end as usize);
            let sum = encode_checksum(&Sha256::digest(&piece));
            let a = conn
                .send(
                    Method::PATCH,
                    &url,
                    &[
                        tus(),
                        ("content-type", "application/offset+octet-stream".into()),
                        ("upload-offset", offset.to_string()),
                        ("upload-checksum", sum),
                    ],
                    piece,
                    MAX_ANSWER,
                    REQUEST_TIMEOUT,
                )
                .await?;
            match a.status {
                200 | 204 => {
                    offset = a
                        .number("upload-offset")
                        .filter(|o| *o > offset && *o <= size)
                        .ok_or("photo_protocol")?;
                    bad_chunks = 0;
                }
                // The relay has a different offset: continue from its.
                409 => {
                    offset = a
                        .number("upload-offset")
                        .filter(|o| *o <= size)
                        .ok_or("photo_protocol")?;
                    tracing::info!(photo, offset, "relay offset differs; continuing from it");
                }
                460 if a.code().as_deref() == Some("checksum_mismatch") => {
                    bad_chunks += 1;
                    tracing::info!(photo, offset, "chunk damaged on the way; sending it again");
                    if bad_chunks >= MAX_BAD_CHUNKS {
                        return Err("photo_checksum");
                    }
                }
                // The whole file does not hash to its name: the stored blob is damaged.
                460 => return self.refuse(&job, "sha256_mismatch"),
                404 | 410 => {
                    self.save(&job, None, 0)?;
                    return Err("photo_upload_gone");
                }
                413 => return self.refuse(&job, "upload_too_large"),
                401 => return Err("unauthorized"),
                _ => return Err("photo_relay_error"),
            }
            self.save(&job, Some(&url), offset)?;
        }
        lock(&self.store)
            .finish_upload(&job.hash, &job.scope)
            .map_err(|_| "store")?;
        self.status.send_modify(|s| s.photo_progress = None);
        tracing::info!(photo, size, "photo uploaded");
        Ok(())
    }

    /// Fetches one photo a report references, or schedules another try.
    async fn download(
        &self,
        conn: &mut Conn,
        hash: &str,
        retries: &mut HashMap<String, Retry>,
    ) -> Result<(), &'static str> {
        let photo = tag(hash);
        let a: Answer = conn
            .send(
                Method::GET,
                &self
                    .relay
                    .as_ref()
                    .map_err(|e| *e)?
                    .path(&format!("{BLOBS_PATH}/{hash}")),
                &[],
                Bytes::new(),
                MAX_BLOB_BYTES,
                REQUEST_TIMEOUT,
            )
            .await?;
        match a.status {
            200 if hex::encode(Sha256::digest(&a.body)) == hash => {
                let body = a.body;
                let evidence = body.clone();
                let thumb = tokio::task::spawn_blocking(move || {
                    thumbnail_of(&evidence, &Settings::default())
                })
                .await;
                let thumb = match thumb {
                    Ok(Ok(t)) => Some(t),
                    Ok(Err(e)) => {
                        tracing::warn!(
                            photo,
                            code = %e.code(),
                            "no thumbnail for a downloaded photo"
                        );
                        None
                    }
                    Err(_) => None,
                };
                lock(&self.store)
                    .put_blob_verified(hash, &body, thumb.as_deref())
                    .map_err(|_| "store")?;
                retries.remove(hash);
                tracing::info!(photo, size = body.len(), "photo downloaded");
                Ok(())
            }
            200 | 404 => {
                if a.status == 200 {
                    tracing::warn!(photo, "downloaded bytes do not match the photo's hash");
                }
                let failures = retries.get(hash).map_or(0, |r| r.failures) + 1;
                let wait = self
                    .cfg
                    .backoff_min
                    .saturating_mul(1 << failures.min(16))
                    .min(self.cfg.backoff_max);
                retries.insert(
                    hash.to_owned(),
                    Retry {
                        failures,
                        next: Instant::now() + jitter(wait),
                    },
                );
                tracing::debug!(photo, failures, "photo not available yet");
                Ok(())
            }
            401 => Err("unauthorized"),
            _ => Err("photo_relay_error"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_locations_become_paths() {
        assert_eq!(
            location_path("/v1/files/abc").as_deref(),
            Some("/v1/files/abc")
        );
        assert_eq!(
            location_path("http://127.0.0.1:9/v1/files/abc").as_deref(),
            Some("/v1/files/abc")
        );
        assert_eq!(location_path("http://evil/other"), None);
        assert_eq!(location_path("http://host"), None);
    }
}
