//! The queue of what the hub sends one connection: bounded, one sender (the hub thread),
//! one receiver (the connection task).
//!
//! Every open connection holds one, idle or not. tokio's bounded `mpsc` allocates its
//! first 32-slot block and cache-padded fields up front (about 740 bytes per connection,
//! measured with heaptrack); this one is a `VecDeque` that allocates nothing while empty
//! and a `Notify`, about 100 bytes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::hub_task::Outbound;

struct Shared {
    inner: Mutex<Inner>,
    ready: Notify,
}

struct Inner {
    items: VecDeque<Outbound>,
    cap: usize,
    sender_gone: bool,
    receiver_gone: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the deque half-updated.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Why [`OutSender::try_send`] did not queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendError {
    /// `cap` items are waiting: the connection does not keep up.
    Full,
    /// The connection task is gone.
    Closed,
}

/// The hub's end.
pub(crate) struct OutSender(Arc<Shared>);

/// The connection task's end.
pub(crate) struct OutReceiver(Arc<Shared>);

/// A queue holding at most `cap` items (at least one).
pub(crate) fn queue(cap: usize) -> (OutSender, OutReceiver) {
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            items: VecDeque::new(),
            cap: cap.max(1),
            sender_gone: false,
            receiver_gone: false,
        }),
        ready: Notify::new(),
    });
    (OutSender(shared.clone()), OutReceiver(shared))
}

impl OutSender {
    /// Queues `item` without waiting.
    pub fn try_send(&self, item: Outbound) -> Result<(), SendError> {
        {
            let mut inner = self.0.lock();
            if inner.receiver_gone {
                return Err(SendError::Closed);
            }
            if inner.items.len() >= inner.cap {
                return Err(SendError::Full);
            }
            inner.items.push_back(item);
        }
        self.0.ready.notify_one();
        Ok(())
    }
}

impl Drop for OutSender {
    fn drop(&mut self) {
        self.0.lock().sender_gone = true;
        self.0.ready.notify_one();
    }
}

impl OutReceiver {
    /// The next item; `None` once the sender is gone and everything queued was taken.
    /// Cancel-safe: an item is only taken by a call that returns it.
    pub async fn recv(&mut self) -> Option<Outbound> {
        loop {
            {
                let mut inner = self.0.lock();
                if let Some(item) = inner.items.pop_front() {
                    return Some(item);
                }
                if inner.sender_gone {
                    return None;
                }
            }
            // `notify_one` keeps a permit when nobody waits, so an item queued between
            // the check above and this wait is not missed.
            self.0.ready.notified().await;
        }
    }
}

impl Drop for OutReceiver {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.receiver_gone = true;
        inner.items.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn bytes(b: u8) -> Outbound {
        Outbound::Bytes(vec![b])
    }

    fn byte(o: Option<Outbound>) -> Option<u8> {
        match o {
            Some(Outbound::Bytes(b)) => b.first().copied(),
            _ => None,
        }
    }

    #[tokio::test]
    async fn items_come_out_in_order_and_the_cap_holds() {
        let (tx, mut rx) = queue(2);
        assert_eq!(tx.try_send(bytes(1)), Ok(()));
        assert_eq!(tx.try_send(bytes(2)), Ok(()));
        assert_eq!(tx.try_send(bytes(3)), Err(SendError::Full));
        assert_eq!(byte(rx.recv().await), Some(1));
        assert_eq!(tx.try_send(bytes(4)), Ok(()));
        assert_eq!(byte(rx.recv().await), Some(2));
        assert_eq!(byte(rx.recv().await), Some(4));
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_for_an_item_sent_from_another_thread() {
        let (tx, mut rx) = queue(8);
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            tx.try_send(bytes(7)).map(|()| tx)
        });
        let got = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await;
        assert_eq!(byte(got.expect("woken")), Some(7));
        assert!(sender.join().expect("sender thread").is_ok());
    }

    #[tokio::test]
    async fn the_receiver_drains_then_sees_the_end_and_the_sender_sees_a_gone_receiver() {
        let (tx, mut rx) = queue(8);
        tx.try_send(bytes(1)).expect("queued");
        drop(tx);
        assert_eq!(byte(rx.recv().await), Some(1));
        assert!(rx.recv().await.is_none());

        let (tx, rx) = queue(8);
        drop(rx);
        assert_eq!(tx.try_send(bytes(1)), Err(SendError::Closed));
    }

    #[tokio::test]
    async fn a_cancelled_receive_loses_nothing() {
        let (tx, mut rx) = queue(8);
        // Cancel a receive while it waits, then queue: the next receive gets the item.
        let waited = tokio::time::timeout(Duration::from_millis(20), rx.recv()).await;
        assert!(waited.is_err());
        tx.try_send(bytes(9)).expect("queued");
        let got = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await;
        assert_eq!(byte(got.expect("not lost")), Some(9));
    }
}
