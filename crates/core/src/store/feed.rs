//! The change feed: the store names the documents each write changed, and says when a
//! user action queued photo uploads, so the sync engine sends exactly those documents and
//! the photo worker wakes only when there is something to upload.
//!
//! Each subscriber has its own inbox: the set of documents changed since it last looked
//! (a document changed twice is named once) and an "uploads were queued" flag, with a
//! wake-up that is never lost (a [`Notify`] permit is kept when nobody waits). Publishing
//! costs a set insert per document and subscriber; an inbox grows at most to the number of
//! documents while its subscriber is offline. A dropped [`Subscription`] is pruned at the
//! next publish.
//!
//! Published: every committed [`super::Batch`] (user actions) and every
//! [`Store::apply_changes`] (changes handed over from elsewhere). Not published: changes a
//! sync session receives through [`Store::receive_sync_message`]; the session that
//! received them answers the peer itself.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;
use wangge_proto::DocumentId;

use super::Store;

/// What a subscriber wants to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Changed documents, and queued uploads (the sync engine's document worker).
    Everything,
    /// Queued uploads only (the photo worker).
    Uploads,
}

/// What changed since the subscriber last looked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Documents with new changes.
    pub docs: HashSet<DocumentId>,
    /// Whether a user action queued photo uploads.
    pub uploads: bool,
}

impl Changes {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty() && !self.uploads
    }
}

struct Inbox {
    interest: Interest,
    changes: Mutex<Changes>,
    wake: Notify,
}

impl Inbox {
    fn changes(&self) -> std::sync::MutexGuard<'_, Changes> {
        // Nothing panics while holding this lock; a poisoned one still holds a valid set.
        self.changes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One subscriber's end of the feed. `Send + Sync`: it lives in the engine's tasks.
pub struct Subscription {
    inbox: Arc<Inbox>,
}

impl Subscription {
    /// Returns once something was published since the last [`Subscription::take`] (at
    /// once if it already was). May return with nothing new after a `take`; callers take
    /// and look.
    pub async fn changed(&self) {
        self.inbox.wake.notified().await;
    }

    /// Everything published since the last call, emptying the inbox.
    pub fn take(&self) -> Changes {
        std::mem::take(&mut *self.inbox.changes())
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("interest", &self.inbox.interest)
            .finish_non_exhaustive()
    }
}

/// The store's side: the live subscribers.
#[derive(Default)]
pub(crate) struct Feed {
    subscribers: Vec<Weak<Inbox>>,
}

impl Feed {
    fn publish(&mut self, docs: &[DocumentId], uploads: bool) {
        if docs.is_empty() && !uploads {
            return;
        }
        self.subscribers.retain(|weak| {
            let Some(inbox) = weak.upgrade() else {
                return false;
            };
            let wanted = match inbox.interest {
                Interest::Everything => {
                    let mut c = inbox.changes();
                    c.docs.extend(docs.iter().copied());
                    c.uploads |= uploads;
                    true
                }
                Interest::Uploads => {
                    if uploads {
                        inbox.changes().uploads = true;
                    }
                    uploads
                }
            };
            if wanted {
                inbox.wake.notify_one();
            }
            true
        });
    }
}

impl Store {
    /// Subscribes to the change feed: from now on, what changes is kept for the
    /// subscriber until it takes it.
    pub fn subscribe(&mut self, interest: Interest) -> Subscription {
        let inbox = Arc::new(Inbox {
            interest,
            changes: Mutex::new(Changes::default()),
            wake: Notify::new(),
        });
        self.feed.subscribers.push(Arc::downgrade(&inbox));
        Subscription { inbox }
    }

    /// Tells every subscriber that `docs` changed (and whether uploads were queued).
    pub(super) fn publish(&mut self, docs: &[DocumentId], uploads: bool) {
        self.feed.publish(docs, uploads);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn each_subscriber_gets_what_changed_once_and_uploads_wake_the_photo_side() {
        let mut feed = Feed::default();
        let sub = |feed: &mut Feed, interest| {
            let inbox = Arc::new(Inbox {
                interest,
                changes: Mutex::new(Changes::default()),
                wake: Notify::new(),
            });
            feed.subscribers.push(Arc::downgrade(&inbox));
            Subscription { inbox }
        };
        let docs = sub(&mut feed, Interest::Everything);
        let photos = sub(&mut feed, Interest::Uploads);
        let (a, b) = (DocumentId::random(), DocumentId::random());
        feed.publish(&[a, b], false);
        feed.publish(&[a], true);
        // The wake-up was kept for a subscriber that was not waiting.
        tokio::time::timeout(Duration::from_secs(1), docs.changed())
            .await
            .unwrap();
        let got = docs.take();
        assert_eq!(got.docs, HashSet::from([a, b]));
        assert!(got.uploads);
        assert!(docs.take().is_empty(), "taken once");
        tokio::time::timeout(Duration::from_secs(1), photos.changed())
            .await
            .unwrap();
        let got = photos.take();
        assert!(got.uploads && got.docs.is_empty(), "{got:?}");

        // Document changes alone do not wake the photo side.
        feed.publish(&[b], false);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), photos.changed())
                .await
                .is_err()
        );
        // A dropped subscription is pruned.
        drop(docs);
        feed.publish(&[a], false);
        assert_eq!(feed.subscribers.len(), 1);
    }
}
