//! How the device reaches the relay: one rustls client configuration for every transport
//! (enrollment, photo transfers, the WebSocket sync), built once from what the enrollment
//! said to trust, and the rule for plain links.
//!
//! - Trust ([`TrustAnchor`]): the public web roots (Mozilla's, bundled: the same on every
//!   phone and desktop, none read from the OS), or the deployment's own CA, or up to two
//!   SPKI pins (the key in use and the next one). Hostnames are checked in every case.
//! - Crypto provider: `ring`. It cross-compiles for Android and iOS with the platform's C
//!   compiler alone (aws-lc-rs wants CMake and, for some targets, more), and is the
//!   provider rustls has long tested on phones.
//! - Plain `http://`/`ws://` only to this machine (loopback), or when the enrollment said
//!   the deployment allows it ([`Transport::allow_plain`]); the sync page shows such a link
//!   as not encrypted.
//! - Reconnects are cheap: the configuration keeps rustls' session cache (TLS 1.3 tickets),
//!   and the same configuration serves every connection of an engine.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use wangge_schema::RelayUrl;
use wangge_schema::enroll_link::TrustAnchor;

/// Why the relay's certificate is not trusted: each its own message, so whoever looks
/// after the relay knows what to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Distrust {
    /// Not signed by the enrollment's CA (or a public root when it named none).
    UnknownIssuer,
    /// Not for the host name the device connects to.
    WrongHost,
    /// Expired, or not valid yet (or this device's clock is off).
    Expired,
    /// A key the enrollment did not pin.
    NotPinned,
    /// Otherwise unusable (bad signature, unreadable, revoked).
    Other,
}

impl Distrust {
    fn of(e: &rustls::CertificateError) -> Self {
        use rustls::CertificateError as C;
        match e {
            C::UnknownIssuer => Distrust::UnknownIssuer,
            C::NotValidForName | C::NotValidForNameContext { .. } => Distrust::WrongHost,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => Distrust::Expired,
            C::ApplicationVerificationFailure => Distrust::NotPinned,
            _ => Distrust::Other,
        }
    }
}

/// Why a connection to the relay could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectError {
    /// Nothing answered (no route, nothing listening, DNS).
    Unreachable,
    /// The TLS handshake failed on the relay's certificate; nothing was sent.
    Untrusted(Distrust),
    /// The TLS handshake failed otherwise (not TLS on the other end, no common protocol).
    Handshake,
    /// Plain `http://` to another machine, and the enrollment did not allow it.
    PlainNotAllowed,
    /// Took longer than allowed.
    Timeout,
}

/// The transports' shared TLS configuration and the rule for plain links.
#[derive(Clone)]
pub struct Transport {
    config: Arc<ClientConfig>,
    /// The deployment allows plain `http://` to an address that is not this machine.
    pub allow_plain: bool,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("allow_plain", &self.allow_plain)
            .finish_non_exhaustive()
    }
}

impl Default for Transport {
    /// The public web roots; plain links to loopback only.
    fn default() -> Self {
        Self::new(&TrustAnchor::System, false)
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Transport {
    /// Trusting `trust`; plain links to other machines only with `allow_plain`. A CA
    /// certificate that cannot be read trusts nothing (every TLS connection then fails as
    /// untrusted); the enrollment link's parser has checked it already.
    pub fn new(trust: &TrustAnchor, allow_plain: bool) -> Self {
        let provider = provider();
        // ring has the cipher suites of TLS 1.2 and 1.3: this is not input-dependent.
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports TLS 1.2 and 1.3");
        let config = match trust {
            TrustAnchor::System => builder.with_root_certificates(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
            TrustAnchor::Ca(der) => {
                let mut roots = RootCertStore::empty();
                if roots.add(CertificateDer::from(der.clone())).is_err() {
                    tracing::warn!(
                        "the enrollment's CA certificate cannot be read; trusting nothing"
                    );
                }
                builder.with_root_certificates(roots)
            }
            TrustAnchor::Pins(pins) => {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(PinVerifier {
                        pins: pins.clone(),
                        provider,
                    }))
            }
        }
        .with_no_client_auth();
        Self {
            config: Arc::new(config),
            allow_plain,
        }
    }

    /// Whether this device may reach `url` (a plain link to another machine only when
    /// allowed).
    pub fn permits(&self, url: &RelayUrl) -> Result<(), ConnectError> {
        if url.is_tls() || url.is_loopback() || self.allow_plain {
            Ok(())
        } else {
            Err(ConnectError::PlainNotAllowed)
        }
    }

    /// A byte stream to the relay at `url`: TCP, with TLS for `https://`/`wss://`.
    pub async fn connect(&self, url: &RelayUrl, within: Duration) -> Result<Stream, ConnectError> {
        self.permits(url)?;
        let work = async {
            let tcp = TcpStream::connect(url.authority())
                .await
                .map_err(|_| ConnectError::Unreachable)?;
            let _ = tcp.set_nodelay(true);
            if !url.is_tls() {
                return Ok(Stream::Plain(tcp));
            }
            // The certificate names the host; an IPv6 address without its brackets.
            let host = url.host().trim_start_matches('[').trim_end_matches(']');
            let name = ServerName::try_from(host.to_owned())
                .map_err(|_| ConnectError::Untrusted(Distrust::WrongHost))?;
            let tls = TlsConnector::from(self.config.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| classify(&e))?;
            Ok(Stream::Tls(Box::new(tls)))
        };
        tokio::time::timeout(within, work)
            .await
            .map_err(|_| ConnectError::Timeout)?
    }

    /// An HTTP client on this configuration (reqwest, HTTP/1.1, keep-alive), each request
    /// allowed `within` to connect.
    pub fn http(&self, within: Duration) -> Result<reqwest::Client, ConnectError> {
        reqwest::Client::builder()
            .tls_backend_preconfigured((*self.config).clone())
            .connect_timeout(within)
            .tcp_nodelay(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| ConnectError::Handshake)
    }
}

/// A failed handshake: the certificate, or anything else.
fn classify(e: &io::Error) -> ConnectError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(r) => of_rustls(r),
        None => ConnectError::Handshake,
    }
}

fn of_rustls(e: &rustls::Error) -> ConnectError {
    match e {
        rustls::Error::InvalidCertificate(c) => ConnectError::Untrusted(Distrust::of(c)),
        rustls::Error::NoCertificatesPresented | rustls::Error::UnsupportedNameType => {
            ConnectError::Untrusted(Distrust::Other)
        }
        _ => ConnectError::Handshake,
    }
}

/// What an HTTP request's failure was, from the error's chain of causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpFailure {
    /// No connection within the time allowed.
    ConnectTimeout,
    /// No answer within the time allowed.
    Timeout,
    /// The relay's certificate is not trusted ([`ConnectError::Untrusted`]).
    Untrusted(Distrust),
    /// The TLS handshake failed otherwise.
    Handshake,
    /// Something answered, but not HTTP.
    NotHttp,
    /// Nothing answered.
    Unreachable,
    /// The connection broke during the exchange.
    Dropped,
}

/// The rustls error in `e`, looking through `io::Error`s wrapping one another (what the
/// TLS connectors hand up: their `source()` skips the wrapped error itself).
fn rustls_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(r) = e.downcast_ref::<rustls::Error>() {
        return Some(r);
    }
    let inner = e.downcast_ref::<io::Error>()?.get_ref()?;
    rustls_in(inner)
}

/// Classifies a reqwest error.
pub fn http_failure(e: &reqwest::Error) -> HttpFailure {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        let found = rustls_in(s);
        if let Some(r) = found {
            return match of_rustls(r) {
                ConnectError::Untrusted(why) => HttpFailure::Untrusted(why),
                _ => HttpFailure::Handshake,
            };
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>()
            && h.is_parse()
        {
            return HttpFailure::NotHttp;
        }
        source = s.source();
    }
    match (e.is_connect(), e.is_timeout()) {
        (true, true) => HttpFailure::ConnectTimeout,
        (false, true) => HttpFailure::Timeout,
        (true, false) => HttpFailure::Unreachable,
        (false, false) => HttpFailure::Dropped,
    }
}

/// The SHA-256 of a certificate's SubjectPublicKeyInfo (DER, with its SEQUENCE header):
/// what an SPKI pin is.
pub fn spki_pin(cert: &CertificateDer<'_>) -> Option<[u8; 32]> {
    let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
    Some(Sha256::digest(parsed.subject_public_key_info().as_ref()).into())
}

/// Trusts the relay's key when it is one of the pins, and the certificate is for the host
/// name connected to; the chain is not looked at (a pinned key is the trust).
#[derive(Debug)]
struct PinVerifier {
    pins: Vec<[u8; 32]>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let bad = || rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding);
        let pin = spki_pin(end_entity).ok_or_else(bad)?;
        if !self.pins.contains(&pin) {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ));
        }
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A connection to the relay, plain or TLS.
pub enum Stream {
    /// Plain TCP (loopback, or allowed by the enrollment).
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// Whether the bytes are encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
