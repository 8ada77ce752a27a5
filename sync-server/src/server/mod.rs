//! The network layer: axum routes, the WebSocket byte mover, the hub thread, shutdown.
//!
//! - `http`: `GET /healthz`, `POST /v1/enroll`.
//! - `rate`: the per-address limit on enrollment attempts, the client's address.
//! - `admin_api`: `POST /v1/admin`, `GET /v1/admin/log` for chief leaders and centres.
//! - `files`: photo uploads (tus 1.0: `/v1/files`) and downloads (`/v1/blobs/{sha256}`).
//! - `tus`: what every tus answer shares (headers, error bodies, store calls).
//! - `auth_device`: the `AuthDevice` extractor, the device behind `Authorization: Bearer`.
//! - `ws`: `GET /v1/sync`, authenticated upgrade, then bytes in and out.
//! - `hub_task`: the [`crate::engine::Hub`] on its own thread.
//! - `outq`: the small queue from the hub to each connection.
//! - `state`: what handlers share.
//! - [`shutdown_signal`]: SIGTERM / Ctrl-C.

mod admin_api;
mod auth_device;
mod directory;
mod files;
mod http;
mod hub_task;
mod outq;
mod rate;
mod state;
pub mod tls;
mod tus;
mod ws;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, head, options, post};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tracing::{info, warn};
use wangge_proto::PeerId;

use crate::config::Config;
use crate::engine::Hub;
use crate::store;
use hub_task::Command;
use state::AppState;

/// Why the relay could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Binding or serving failed.
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
    /// The configured database cannot be shared by the relay's parts.
    #[error("the relay needs a database file, not {0:?}")]
    NeedsFile(String),
    /// The configuration is not usable (the `[photos]` store, say).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The `[tls]` certificate or key cannot be used.
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
}

/// A relay bound to its address, not yet serving.
pub struct Relay {
    listener: TcpListener,
    config: Arc<Config>,
    http_store: Box<dyn store::RelayStore>,
    hub_store: Box<dyn store::RelayStore>,
    photos: Option<Arc<store::objects::ObjectBlobs>>,
    /// `GET /metrics` on an address of its own (`metrics_listen`), bound with the rest.
    metrics_listener: Option<TcpListener>,
    /// Serving TLS itself (`[tls]`): the certificate in use.
    certs: Option<Arc<tls::Certificates>>,
}

impl Relay {
    /// Opens the store (running migrations) and binds the listen address.
    pub async fn bind(config: Config) -> Result<Relay, ServeError> {
        if config.database.contains(":memory:") {
            return Err(ServeError::NeedsFile(config.database.clone()));
        }
        let photos = match config.photos.s3()? {
            None => None,
            Some(s3) => {
                info!(bucket = %s3.bucket, prefix = %s3.prefix, "photos kept in object storage");
                let objects = Arc::new(store::objects::ObjectBlobs::connect(&s3)?);
                // A wrong key or bucket shows at start; an outage must not stop the relay
                // (sync needs no photos, and uploads retry), so it is only a warning.
                let probe = objects.clone();
                match tokio::task::spawn_blocking(move || probe.exists(&"0".repeat(64))).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => warn!(cause = %e, "object storage does not answer yet"),
                    Err(_) => warn!("object storage check failed"),
                }
                Some(objects)
            }
        };
        // The HTTP handlers call the object store themselves, outside the store's lock
        // (`files`); the hub never reads or writes photos.
        let http_store = store::open(&config.database)?;
        let hub_store = store::open(&config.database)?;
        let certs = match &config.tls {
            Some(t) => Some(tls::Certificates::load(&t.cert_file, &t.key_file)?),
            None => None,
        };
        let listener = TcpListener::bind(config.listen).await?;
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        Ok(Relay {
            listener,
            metrics_listener,
            certs,
            config: Arc::new(config),
            http_store,
            hub_store,
            photos,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes, then closes connections, saves sync states and
    /// stops the hub.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let Relay {
            listener,
            config,
            http_store,
            hub_store,
            photos,
            metrics_listener,
            certs,
        } = self;
        let hub = Hub::new(
            hub_store,
            PeerId::new(config.peer_id.clone()),
            config.limits.engine(),
        );
        let (hub_tx, hub_rx) = mpsc::channel(1024);
        let metrics = crate::metrics::Metrics::new();
        let hub_thread = hub_task::spawn(hub, hub_rx, metrics.clone())?;
        let feed = start_feed(&config.database, hub_tx.clone())?;
        let ticker = tokio::spawn(tick(
            hub_tx.clone(),
            Duration::from_millis(config.limits.admin_poll_millis.max(10)),
        ));
        let app = AppState {
            store: Arc::new(Mutex::new(http_store)),
            photos,
            hub: hub_tx.clone(),
            config: config.clone(),
            next_conn: Arc::new(AtomicU64::new(1)),
            per_ip: Arc::new(Mutex::new(HashMap::new())),
            enroll_limiter: Arc::new(rate::EnrollLimiter::new(
                config.limits.enroll_attempts,
                Duration::from_secs(config.limits.enroll_window_seconds),
            )),
            metrics: metrics.clone(),
        };
        let router = Router::new()
            .route("/healthz", get(http::healthz))
            .merge(match config.metrics_listen {
                None => Router::new().route("/metrics", get(http::metrics)),
                Some(_) => Router::new(),
            })
            .route(
                "/v1/enroll",
                post(http::enroll)
                    .layer(DefaultBodyLimit::max(config.limits.max_enroll_body_bytes)),
            )
            .route(
                "/v1/admin",
                post(admin_api::act)
                    .layer(DefaultBodyLimit::max(config.limits.max_enroll_body_bytes)),
            )
            .route("/v1/admin/log", get(admin_api::log))
            .route("/v1/sync", get(ws::sync_upgrade))
            .route(
                "/v1/files",
                post(files::create).merge(options(files::options)),
            )
            .route(
                "/v1/files/{id}",
                head(files::head)
                    .patch(files::patch)
                    .layer(DefaultBodyLimit::max(
                        usize::try_from(config.limits.max_upload_bytes)
                            .unwrap_or(usize::MAX)
                            .saturating_add(1),
                    )),
            )
            .route("/v1/blobs/{sha256}", get(files::download))
            .route(wangge_schema::DIRECTORY_PATH, get(directory::directory))
            .with_state(app);
        let (metrics_stop, metrics_server) = match metrics_listener {
            Some(listener) => {
                let (stop, server) = serve_metrics(listener, metrics.clone())?;
                (Some(stop), Some(server))
            }
            None => (None, None),
        };
        info!(
            addr = %listener.local_addr()?,
            tls = certs.is_some(),
            "relay listening"
        );
        let make = router.into_make_service_with_connect_info::<SocketAddr>();
        let stop = {
            let hub = hub_tx.clone();
            async move {
                shutdown.await;
                info!("shutting down");
                let _ = hub.send(Command::CloseAll).await;
            }
        };
        let (served, watcher) = match &certs {
            None => (
                axum::serve(listener, make)
                    .with_graceful_shutdown(stop)
                    .await,
                None,
            ),
            Some(c) => {
                let watcher = c.watch(Duration::from_secs(
                    config.tls.as_ref().map_or(60, |t| t.reload_seconds).max(1),
                ));
                // `tap_io` makes the peer address the connection info, as plain TCP has it.
                let tls_listener = tls::TlsListener::new(listener, c).tap_io(|_| {});
                (
                    axum::serve(tls_listener, make)
                        .with_graceful_shutdown(stop)
                        .await,
                    Some(watcher),
                )
            }
        };
        if let Some(w) = watcher {
            w.abort();
        }
        ticker.abort();
        if let Some(stop) = metrics_stop {
            let _ = stop.send(());
        }
        if let Some(server) = metrics_server {
            let _ = server.await;
        }
        // Stopping the feed waits for its thread (at most one wait for notifications).
        let _ = tokio::task::spawn_blocking(move || drop(feed)).await;
        let _ = hub_tx.send(Command::Shutdown).await;
        drop(hub_tx);
        let _ = tokio::task::spawn_blocking(move || hub_thread.join()).await;
        info!("relay stopped");
        Ok(served?)
    }
}

/// Serves `GET /metrics` alone on `listener` until told to stop.
fn serve_metrics(
    listener: TcpListener,
    metrics: Arc<crate::metrics::Metrics>,
) -> Result<
    (
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ),
    ServeError,
> {
    info!(addr = %listener.local_addr()?, "metrics listening");
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move { http::metrics_response(&metrics) }
        }),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            warn!(cause = %e, "metrics listener failed");
        }
    });
    Ok((stop, server))
}

/// Starts the change feed from the other instances on the database, if it has one, and
/// hands what it reports to the hub.
fn start_feed(
    database: &str,
    hub: mpsc::Sender<Command>,
) -> Result<Option<store::Feed>, ServeError> {
    let feed = store::change_feed(database, move |event| {
        let cmd = match event {
            store::FeedEvent::Changed(changes) => Command::Remote(changes),
            store::FeedEvent::Resumed { since } => Command::CatchUp { since },
        };
        // From the feed's own thread, never a runtime worker: blocking here is fine, and
        // waiting for room keeps every change (the hub's queue is bounded).
        hub.blocking_send(cmd).is_ok()
    })?;
    if feed.is_some() {
        info!("sharing the database with other relay instances: change feed on");
    }
    Ok(feed)
}

async fn tick(hub: mpsc::Sender<Command>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(mpsc::error::TrySendError::Closed(_)) = hub.try_send(Command::Tick) {
            return;
        }
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
