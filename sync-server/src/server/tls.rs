//! The relay serving TLS itself, for a single box with nobody to run nginx: the
//! certificate chain and key from PEM files (`[tls] cert_file`, `key_file`), reloaded
//! without a restart when either file changes (a renewed certificate is picked up by the
//! next handshake; connections open keep theirs). A file that does not load keeps the
//! certificate in use and says why in the log.
//!
//! Handshakes run beside the accept loop, each within [`HANDSHAKE_TIMEOUT`], so a client
//! that never finishes one holds nobody else up.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tracing::{info, warn};

/// Time a client has to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Why the certificate files could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {path}: {cause}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        cause: String,
    },
    /// The certificate file holds no certificate.
    #[error("{0} holds no PEM certificate")]
    NoCertificate(String),
    /// The key is not one rustls can sign with, or does not belong to the certificate.
    #[error("the key in {path} cannot be used with the certificate: {cause}")]
    Key {
        /// The key file.
        path: String,
        /// Why.
        cause: String,
    },
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads the chain and key and checks that they belong together.
fn load(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let read = |p: &Path, cause: String| TlsError::Read {
        path: p.display().to_string(),
        cause,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| read(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| read(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.display().to_string()));
    }
    let der = PrivateKeyDer::from_pem_file(key).map_err(|e| read(key, e.to_string()))?;
    CertifiedKey::from_der(chain, der, &provider()).map_err(|e| TlsError::Key {
        path: key.display().to_string(),
        cause: e.to_string(),
    })
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The certificate in use, and the files it came from.
#[derive(Debug)]
pub struct Certificates {
    cert_file: PathBuf,
    key_file: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
    /// The files' modification times when last loaded.
    stamps: Mutex<(Option<SystemTime>, Option<SystemTime>)>,
}

impl Certificates {
    /// Loads the files; an error here stops the relay from starting (nothing to serve).
    pub fn load(cert_file: &Path, key_file: &Path) -> Result<Arc<Self>, TlsError> {
        let key = load(cert_file, key_file)?;
        Ok(Arc::new(Self {
            cert_file: cert_file.to_owned(),
            key_file: key_file.to_owned(),
            current: RwLock::new(Arc::new(key)),
            stamps: Mutex::new((modified(cert_file), modified(key_file))),
        }))
    }

    /// Loads the files again if either changed since the last load. `Ok(true)`: the new
    /// certificate is in use; an error keeps the one in use.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let now = (modified(&self.cert_file), modified(&self.key_file));
        let mut stamps = self.stamps.lock().unwrap_or_else(|e| e.into_inner());
        if *stamps == now {
            return Ok(false);
        }
        let key = load(&self.cert_file, &self.key_file)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
        *stamps = now;
        Ok(true)
    }

    /// Watches the files every `every` until the relay stops.
    pub fn watch(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let c = me.clone();
                match tokio::task::spawn_blocking(move || c.reload_if_changed()).await {
                    Ok(Ok(true)) => info!("TLS certificate reloaded"),
                    Ok(Ok(false)) => {}
                    Ok(Err(e)) => {
                        warn!(cause = %e, "TLS certificate not reloaded; keeping the one in use")
                    }
                    Err(_) => warn!("TLS certificate check failed"),
                }
            }
        })
    }

    /// The server configuration resolving to the certificate in use at each handshake.
    pub fn server_config(self: &Arc<Self>) -> Arc<ServerConfig> {
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Resolver(self.clone())));
        Arc::new(config)
    }
}

#[derive(Debug)]
struct Resolver(Arc<Certificates>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.0
                .current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

/// A TCP listener whose connections are TLS, for `axum::serve`.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl TlsListener {
    /// Serves TLS with `certs` on `tcp`.
    pub fn new(tcp: TcpListener, certs: &Arc<Certificates>) -> Self {
        Self {
            tcp,
            acceptor: TlsAcceptor::from(certs.server_config()),
            handshakes: JoinSet::new(),
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                accepted = self.tcp.accept() => match accepted {
                    Ok((tcp, addr)) => {
                        let _ = tcp.set_nodelay(true);
                        let acceptor = self.acceptor.clone();
                        self.handshakes.spawn(async move {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                                Ok(Ok(tls)) => Some((tls, addr)),
                                // A client that does not trust us, speaks plain HTTP, or
                                // stalls: its connection alone ends.
                                _ => None,
                            }
                        });
                    }
                    // Out of file descriptors and the like: wait a little, as axum does.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    if let Ok(Some(conn)) = done {
                        return conn;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
