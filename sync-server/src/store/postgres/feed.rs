//! The change feed between relay instances on one PostgreSQL database: every stored
//! chunk is announced on [`CHANNEL`] (`pg_notify` inside the write's transaction, so only
//! committed chunks are announced), and each instance listens on a connection of its own.
//!
//! A listening connection that breaks (the server restarted, the network dropped) is
//! opened again with backoff; whatever was announced meanwhile is lost to it, so after
//! every (re)connection the feed reports [`FeedEvent::Resumed`] with the time from which
//! to catch up from storage.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::NoTls;
use postgres::fallible_iterator::FallibleIterator;
use tracing::{debug, info, warn};
use wangge_proto::DocumentId;

use super::{PgError, now};
use crate::store::StoreError;

/// The notification channel.
pub const CHANNEL: &str = "wangge_doc_changes";

/// How far before the last moment the feed was known to be up a catch-up starts: covers
/// the clocks of instances that disagree by up to this, and the seconds the times are
/// rounded to.
pub const CATCH_UP_MARGIN_SECS: i64 = 120;

/// Most notifications handed on at once.
const MAX_BATCH: usize = 1024;

/// How long one wait for notifications lasts before the stop flag is checked again.
const WAIT: Duration = Duration::from_millis(250);

/// A notification's text: the document id in hex, `:`, the chunk number.
pub fn payload(id: &DocumentId, seq: i64) -> String {
    format!("{}:{seq}", hex::encode(id.as_bytes()))
}

/// Reads a notification's text; `None` if it is not one of ours.
pub fn parse_payload(text: &str) -> Option<(DocumentId, i64)> {
    let (id, seq) = text.split_once(':')?;
    let bytes = hex::decode(id).ok()?;
    Some((DocumentId::from_bytes(&bytes).ok()?, seq.parse().ok()?))
}

/// What the feed reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    /// Chunks some instance stored (this one's own included), in the order announced.
    Changed(Vec<(DocumentId, i64)>),
    /// The feed is listening (again): catch up on changes stored since `since` (unix
    /// seconds), which it may have missed.
    Resumed {
        /// Catch up from here.
        since: i64,
    },
}

/// A running feed; dropping it stops the listening thread.
pub struct Feed {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts listening on the database `url` names. `on` gets every event, from the feed's
/// own thread; when it returns `false` the feed stops.
pub fn spawn(
    url: &str,
    mut on: impl FnMut(FeedEvent) -> bool + Send + 'static,
) -> Result<Feed, StoreError> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| StoreError::database(PgError::from(e)))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("wangge-feed".into())
        .spawn(move || listen(&config, &flag, &mut on))
        .map_err(|e| StoreError::database(e.to_string()))?;
    Ok(Feed {
        stop,
        thread: Some(thread),
    })
}

fn listen(config: &postgres::Config, stop: &AtomicBool, on: &mut dyn FnMut(FeedEvent) -> bool) {
    // Changes stored before this instance started are in storage when its documents load;
    // the margin covers a document loaded before the feed was up.
    let mut alive_at = now();
    let mut backoff = Duration::from_millis(100);
    while !stop.load(Ordering::Relaxed) {
        let mut client = match config.connect(NoTls) {
            Ok(c) => c,
            Err(e) => {
                warn!(cause = %PgError::from(e), "change feed: cannot connect; retrying");
                sleep_unless_stopped(backoff, stop);
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")) {
            warn!(cause = %PgError::from(e), "change feed: cannot listen; retrying");
            sleep_unless_stopped(backoff, stop);
            continue;
        }
        backoff = Duration::from_millis(100);
        info!("change feed listening");
        if !on(FeedEvent::Resumed {
            since: alive_at - CATCH_UP_MARGIN_SECS,
        }) {
            return;
        }
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            // Wait for one notification, then take those already here without waiting:
            // a busy feed hands on at once, never holding a batch back to fill it.
            let mut changes = Vec::new();
            let mut broken = false;
            {
                let mut notes = client.notifications();
                let mut take = |r: Result<Option<postgres::Notification>, postgres::Error>| match r
                {
                    Ok(Some(n)) => {
                        match parse_payload(n.payload()) {
                            Some(c) => changes.push(c),
                            None => debug!("change feed: a notification not of this relay"),
                        }
                        true
                    }
                    Ok(None) => false,
                    Err(e) => {
                        warn!(cause = %PgError::from(e), "change feed: connection lost");
                        broken = true;
                        false
                    }
                };
                if take(notes.timeout_iter(WAIT).next()) {
                    let mut ready = notes.iter();
                    for _ in 1..MAX_BATCH {
                        if !take(ready.next()) {
                            break;
                        }
                    }
                }
            }
            if broken || client.is_closed() {
                break;
            }
            alive_at = now();
            if !changes.is_empty() && !on(FeedEvent::Changed(changes)) {
                return;
            }
        }
    }
}

fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let end = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50).min(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back_and_foreign_ones_are_ignored() {
        let id = DocumentId::from_bytes(&[7u8; 16]).expect("id");
        assert_eq!(parse_payload(&payload(&id, 41)), Some((id, 41)));
        for bad in [
            "",
            "nope",
            "07:1",
            "zz:1",
            &format!("{}:x", hex::encode([7u8; 16])),
        ] {
            assert_eq!(parse_payload(bad), None, "{bad:?}");
        }
    }
}
