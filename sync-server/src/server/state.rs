//! State shared by the HTTP handlers.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::hub_task::Command;
use crate::config::Config;
use crate::store::RelayStore;
use crate::store::objects::ObjectBlobs;

/// Handles every request needs.
#[derive(Clone)]
pub(crate) struct AppState {
    /// The store for enrollment and authentication (the hub has its own connection).
    pub store: Arc<Mutex<Box<dyn RelayStore>>>,
    /// Where new photos' bytes go when not in the database (`[photos] store = "s3"`);
    /// the handlers call it without holding `store`.
    pub photos: Option<Arc<ObjectBlobs>>,
    /// The hub's command queue.
    pub hub: mpsc::Sender<Command>,
    /// The configuration.
    pub config: Arc<Config>,
    /// Connection id source.
    pub next_conn: Arc<AtomicU64>,
    /// Open connections per IP.
    pub per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
    /// Enrollment attempts per client address.
    pub enroll_limiter: Arc<super::rate::EnrollLimiter>,
    /// The metrics (`GET /metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// A fresh connection id.
    pub fn conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Takes a connection slot for `ip`, or `None` if it has too many.
    pub fn ip_slot(&self, ip: IpAddr) -> Option<IpSlot> {
        let mut map = self.per_ip.lock().ok()?;
        let n = map.entry(ip).or_insert(0);
        if *n >= self.config.limits.max_connections_per_ip {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            ip,
            per_ip: self.per_ip.clone(),
        })
    }
}

/// One connection's slot in the per-IP count, released on drop.
pub(crate) struct IpSlot {
    ip: IpAddr,
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        if let Ok(mut map) = self.per_ip.lock()
            && let Some(n) = map.get_mut(&self.ip)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}
