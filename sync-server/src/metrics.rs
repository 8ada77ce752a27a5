//! The relay's Prometheus metrics, served as text at `GET /metrics` (no token: nothing in
//! them names a person, a device or a token), on the main listener or, with
//! `[metrics] listen`, on an address of their own (say, one only the monitoring network
//! reaches).
//!
//! | metric | what |
//! |---|---|
//! | `wangge_connections` | device connections open now |
//! | `wangge_connections_refused_total{reason}` | sync upgrades refused: `token_missing`, `token_invalid`, `too_many_connections`, `storage_unavailable` |
//! | `wangge_messages_in_total`, `wangge_messages_out_total` | protocol messages from and to devices |
//! | `wangge_write_group_seconds` | one group commit of the hub (the wait before acknowledgements) |
//! | `wangge_documents_loaded` | documents the hub holds in memory |
//! | `wangge_documents_refused_total` | documents refused for a device (scope, kind, step …) |
//! | `wangge_uploads_started_total`, `wangge_uploads_finished_total` | tus photo uploads created and completed |
//! | `wangge_enroll_total{outcome}` | enrollment attempts: `enrolled`, `refused`, `rate_limited` |

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A label naming why or how something ended (a fixed code, never data).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    /// The code.
    pub reason: String,
}

/// A label naming an outcome (a fixed code).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    /// The code.
    pub outcome: String,
}

/// Every metric the relay keeps, shared by the HTTP handlers and the hub thread.
pub struct Metrics {
    registry: Registry,
    /// Device connections open now.
    pub connections: Gauge,
    /// Sync upgrades refused, by reason.
    pub refused: Family<Reason, Counter>,
    /// Protocol messages from devices.
    pub messages_in: Counter,
    /// Protocol messages to devices.
    pub messages_out: Counter,
    /// Seconds per group commit.
    pub write_group: Histogram,
    /// Documents in the hub's memory.
    pub documents_loaded: Gauge,
    /// Documents refused for a device.
    pub documents_refused: Counter,
    /// Photo uploads created.
    pub uploads_started: Counter,
    /// Photo uploads completed.
    pub uploads_finished: Counter,
    /// Enrollment attempts, by outcome.
    pub enroll: Family<Outcome, Counter>,
}

impl Metrics {
    /// A fresh set, registered.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("wangge");
        let m = Metrics {
            connections: Gauge::default(),
            refused: Family::default(),
            messages_in: Counter::default(),
            messages_out: Counter::default(),
            // 0.1 ms … about 6.5 s.
            write_group: Histogram::new(exponential_buckets(0.000_1, 2.0, 17)),
            documents_loaded: Gauge::default(),
            documents_refused: Counter::default(),
            uploads_started: Counter::default(),
            uploads_finished: Counter::default(),
            enroll: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "connections",
            "Device connections open now",
            m.connections.clone(),
        );
        registry.register(
            "connections_refused",
            "Sync upgrades refused, by reason",
            m.refused.clone(),
        );
        registry.register(
            "messages_in",
            "Protocol messages from devices",
            m.messages_in.clone(),
        );
        registry.register(
            "messages_out",
            "Protocol messages to devices",
            m.messages_out.clone(),
        );
        registry.register(
            "write_group_seconds",
            "One group commit of the hub, before its acknowledgements go out",
            m.write_group.clone(),
        );
        registry.register(
            "documents_loaded",
            "Documents the hub holds in memory",
            m.documents_loaded.clone(),
        );
        registry.register(
            "documents_refused",
            "Documents refused for a device",
            m.documents_refused.clone(),
        );
        registry.register(
            "uploads_started",
            "Photo uploads created",
            m.uploads_started.clone(),
        );
        registry.register(
            "uploads_finished",
            "Photo uploads completed",
            m.uploads_finished.clone(),
        );
        registry.register(
            "enroll",
            "Enrollment attempts, by outcome",
            m.enroll.clone(),
        );
        Arc::new(Metrics { registry, ..m })
    }

    /// Counts a refused sync upgrade.
    pub fn refuse(&self, reason: &str) {
        self.refused
            .get_or_create(&Reason {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Counts an enrollment attempt.
    pub fn enrolled(&self, outcome: &str) {
        self.enroll
            .get_or_create(&Outcome {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
