//! Relay configuration: defaults, then a TOML file, then `WANGGE_` environment variables.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::auth::Secret;
use crate::engine::EngineLimits;
use crate::store::objects::S3Config;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {cause}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
    /// The file is not valid TOML for this config.
    #[error("invalid config file {path}: {cause}")]
    Parse {
        /// The file.
        path: String,
        /// Why.
        cause: String,
    },
    /// An environment variable has an invalid value.
    #[error("invalid value for {var}: {cause}")]
    Env {
        /// The variable.
        var: &'static str,
        /// Why.
        cause: String,
    },
    /// The `[photos]` settings do not make a usable photo store.
    #[error("invalid [photos] config: {0}")]
    Photos(String),
}

/// Everything `wangge-relay serve` needs.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (`WANGGE_LISTEN`).
    pub listen: SocketAddr,
    /// Database URL, `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`
    /// (`WANGGE_DATABASE`).
    pub database: String,
    /// The relay's peer id in the protocol (`WANGGE_PEER_ID`).
    pub peer_id: String,
    /// Limits.
    pub limits: LimitsConfig,
    /// Where photo bytes are kept.
    pub photos: PhotosConfig,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`WANGGE_TRUSTED_PROXIES`,
    /// comma-separated addresses). Empty, the default: the header is ignored and every
    /// request counts against its peer address. Behind a proxy that means all clients
    /// share the proxy's address, so one busy office can use up the per-address
    /// enrollment attempts of everyone; name the proxy here to count by client instead.
    /// Only list the proxy's own addresses: anyone else can write the header.
    pub trusted_proxies: Vec<IpAddr>,
    /// Where `GET /metrics` is served (`WANGGE_METRICS_LISTEN`): unset, on `listen` with
    /// everything else; set, on this address only (one the monitoring network reaches).
    pub metrics_listen: Option<SocketAddr>,
    /// Serve TLS on `listen` itself (`[tls]`), for a box without a reverse proxy.
    pub tls: Option<TlsConfig>,
}

/// The `[tls]` section: the relay serves `https://`/`wss://` itself. Both files PEM; the
/// certificate file holds the chain (the relay's certificate first). Either file changing
/// is picked up within `reload_seconds`, without a restart.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain (`WANGGE_TLS_CERT_FILE`).
    pub cert_file: std::path::PathBuf,
    /// The private key, PKCS#8, PKCS#1 or SEC1 (`WANGGE_TLS_KEY_FILE`).
    pub key_file: std::path::PathBuf,
    /// How often the files are checked for a change (`WANGGE_TLS_RELOAD_SECONDS`).
    #[serde(default = "default_reload_seconds")]
    pub reload_seconds: u64,
}

fn default_reload_seconds() -> u64 {
    60
}

/// Where photo bytes are kept (`[photos]`).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PhotoStoreKind {
    /// In the relay's database, with everything else (the default).
    #[default]
    Database,
    /// In an S3 bucket (AWS or any S3-compatible server); the database keeps metadata.
    S3,
}

/// The `[photos]` section: the photo store and, for `s3`, how to reach the bucket.
/// `Debug` never shows the secret key.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PhotosConfig {
    /// `database` or `s3` (`WANGGE_PHOTO_STORE`).
    pub store: PhotoStoreKind,
    /// The S3 endpoint URL; unset for AWS itself (`WANGGE_S3_ENDPOINT`).
    pub s3_endpoint: Option<String>,
    /// The bucket (`WANGGE_S3_BUCKET`).
    pub s3_bucket: Option<String>,
    /// The region (`WANGGE_S3_REGION`).
    pub s3_region: String,
    /// Access key id (`WANGGE_S3_ACCESS_KEY_ID`); with the secret, or neither for the
    /// machine's own credentials (an AWS instance role).
    pub s3_access_key_id: Option<String>,
    /// Secret access key; prefer `WANGGE_S3_SECRET_ACCESS_KEY` to the file.
    pub s3_secret_access_key: Option<Secret>,
    /// Put before every object key as is (`wangge/` keeps them in a folder)
    /// (`WANGGE_S3_PREFIX`).
    pub s3_prefix: String,
    /// Allow a plain `http://` endpoint: on-premises networks or loopback only
    /// (`WANGGE_S3_ALLOW_HTTP`).
    pub s3_allow_http: bool,
}

impl Default for PhotosConfig {
    fn default() -> Self {
        Self {
            store: PhotoStoreKind::Database,
            s3_endpoint: None,
            s3_bucket: None,
            s3_region: "us-east-1".to_owned(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_prefix: String::new(),
            s3_allow_http: false,
        }
    }
}

impl PhotosConfig {
    /// The section that keeps photo bytes in the bucket `s3` names (what `s3()` gives
    /// back).
    pub fn in_bucket(s3: &S3Config) -> PhotosConfig {
        let (id, secret) = s3.credentials.clone().unzip();
        PhotosConfig {
            store: PhotoStoreKind::S3,
            s3_endpoint: s3.endpoint.clone(),
            s3_bucket: Some(s3.bucket.clone()),
            s3_region: s3.region.clone(),
            s3_access_key_id: id,
            s3_secret_access_key: secret,
            s3_prefix: s3.prefix.clone(),
            s3_allow_http: s3.allow_http,
        }
    }

    /// The bucket to keep photos in, `None` for the database; an error names what is
    /// missing or wrong.
    pub fn s3(&self) -> Result<Option<S3Config>, ConfigError> {
        if self.store == PhotoStoreKind::Database {
            return Ok(None);
        }
        let bad = |why: &str| Err(ConfigError::Photos(why.to_owned()));
        let bucket = match self.s3_bucket.as_deref().map(str::trim) {
            Some(b) if !b.is_empty() => b.to_owned(),
            _ => return bad("store = \"s3\" needs s3_bucket (WANGGE_S3_BUCKET)"),
        };
        let endpoint = match self.s3_endpoint.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) if e.starts_with("https://") => Some(e.to_owned()),
            Some(e) if e.starts_with("http://") => {
                if !self.s3_allow_http {
                    return bad(
                        "s3_endpoint is plain http://; use https://, or set s3_allow_http = \
                         true for an on-premises or loopback server",
                    );
                }
                Some(e.to_owned())
            }
            Some(_) => return bad("s3_endpoint must be an http:// or https:// URL"),
        };
        let credentials = match (&self.s3_access_key_id, &self.s3_secret_access_key) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.expose().is_empty() => {
                Some((id.clone(), secret.clone()))
            }
            (None, None) => None,
            _ => {
                return bad("give both s3_access_key_id and s3_secret_access_key \
                     (WANGGE_S3_SECRET_ACCESS_KEY), or neither to use the machine's own \
                     credentials");
            }
        };
        if self.s3_region.trim().is_empty() {
            return bad("s3_region is empty");
        }
        if self.s3_prefix.starts_with('/') || self.s3_prefix.contains("//") {
            return bad("s3_prefix must not start with / or hold an empty folder (//)");
        }
        Ok(Some(S3Config {
            endpoint,
            bucket,
            region: self.s3_region.trim().to_owned(),
            credentials,
            prefix: self.s3_prefix.clone(),
            allow_http: self.s3_allow_http,
        }))
    }
}

/// Size and rate limits.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest WebSocket message accepted, in bytes (`WANGGE_MAX_MESSAGE_BYTES`).
    pub max_message_bytes: usize,
    /// Most documents one connection may sync (`WANGGE_MAX_DOCS_PER_CONNECTION`).
    pub max_docs_per_connection: usize,
    /// Most new, unregistered documents one connection may be creating at once.
    pub max_pending_docs_per_connection: usize,
    /// Most simultaneous connections from one IP address (`WANGGE_MAX_CONNECTIONS_PER_IP`).
    pub max_connections_per_ip: usize,
    /// Messages queued towards one connection before it is dropped as too slow.
    pub outbound_queue: usize,
    /// Initial WebSocket read buffer per connection, in bytes, and the most read from the
    /// socket at once; a larger frame gets room for its whole length
    /// (`WANGGE_WS_READ_BUFFER_BYTES`). Tungstenite's default is 128 KiB, which 10k idle
    /// connections would pay for in full; 512 B keeps an idle connection near 4 KiB.
    pub ws_read_buffer_bytes: usize,
    /// Outgoing bytes gathered before a socket write (`WANGGE_WS_WRITE_BUFFER_BYTES`).
    pub ws_write_buffer_bytes: usize,
    /// Seconds a document stays in memory unused (`WANGGE_IDLE_DOC_SECONDS`).
    pub idle_doc_seconds: u64,
    /// How often the relay checks for admin changes such as revocations, in milliseconds
    /// (`WANGGE_ADMIN_POLL_MILLIS`).
    pub admin_poll_millis: u64,
    /// Largest `POST /v1/enroll` body, in bytes.
    pub max_enroll_body_bytes: usize,
    /// `POST /v1/enroll` attempts one client address may make at once; a spent attempt
    /// comes back every `enroll_window_seconds / enroll_attempts`; over it the relay
    /// answers 429 with `Retry-After` (`WANGGE_ENROLL_ATTEMPTS`; 0 turns the limit off).
    pub enroll_attempts: u32,
    /// The window of [`LimitsConfig::enroll_attempts`], in seconds
    /// (`WANGGE_ENROLL_WINDOW_SECONDS`).
    pub enroll_window_seconds: u64,
    /// Largest photo upload (`Upload-Length`), in bytes (`WANGGE_MAX_UPLOAD_BYTES`).
    pub max_upload_bytes: u64,
    /// Incomplete uploads kept per device; creating one more discards the oldest.
    pub max_pending_uploads_per_device: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3030)),
            database: "sqlite:relay.db".to_owned(),
            peer_id: "wangge-relay".to_owned(),
            limits: LimitsConfig::default(),
            photos: PhotosConfig::default(),
            trusted_proxies: Vec::new(),
            metrics_listen: None,
            tls: None,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_message_bytes: 8 * 1024 * 1024,
            max_docs_per_connection: 20_000,
            max_pending_docs_per_connection: 256,
            max_connections_per_ip: 256,
            outbound_queue: 65_536,
            ws_read_buffer_bytes: 512,
            ws_write_buffer_bytes: 0,
            idle_doc_seconds: 60,
            admin_poll_millis: 1000,
            max_enroll_body_bytes: 4096,
            enroll_attempts: 10,
            enroll_window_seconds: 60,
            max_upload_bytes: 16 * 1024 * 1024,
            max_pending_uploads_per_device: 8,
        }
    }
}

impl LimitsConfig {
    /// The engine's share of the limits.
    pub fn engine(&self) -> EngineLimits {
        EngineLimits {
            max_docs_per_connection: self.max_docs_per_connection,
            max_pending_docs_per_connection: self.max_pending_docs_per_connection,
            idle_doc: Duration::from_secs(self.idle_doc_seconds),
            ..EngineLimits::default()
        }
    }
}

impl Config {
    /// Loads defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_with(file, |k| std::env::var(k).ok())
    }

    /// Like [`Config::load`] with an explicit environment lookup (tests).
    pub fn load_with(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            None => Config::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
                    path: path.display().to_string(),
                    cause,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.display().to_string(),
                    cause: e.to_string(),
                })?
            }
        };
        config.apply_env(env)?;
        config.photos.s3()?;
        Ok(config)
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(var: &'static str, v: &str) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            v.trim().parse().map_err(|e: T::Err| ConfigError::Env {
                var,
                cause: e.to_string(),
            })
        }
        if let Some(v) = env("WANGGE_LISTEN") {
            self.listen = parse("WANGGE_LISTEN", &v)?;
        }
        if let Some(v) = env("WANGGE_METRICS_LISTEN") {
            self.metrics_listen = Some(parse("WANGGE_METRICS_LISTEN", &v)?);
        }
        if let Some(v) = env("WANGGE_DATABASE") {
            self.database = v;
        }
        if let Some(v) = env("WANGGE_PEER_ID") {
            self.peer_id = v;
        }
        match (env("WANGGE_TLS_CERT_FILE"), env("WANGGE_TLS_KEY_FILE")) {
            (None, None) => {}
            (Some(cert), Some(key)) => {
                let reload_seconds = self
                    .tls
                    .as_ref()
                    .map_or(default_reload_seconds(), |t| t.reload_seconds);
                self.tls = Some(TlsConfig {
                    cert_file: cert.into(),
                    key_file: key.into(),
                    reload_seconds,
                });
            }
            _ => {
                return Err(ConfigError::Env {
                    var: "WANGGE_TLS_CERT_FILE",
                    cause: "set WANGGE_TLS_CERT_FILE and WANGGE_TLS_KEY_FILE together".to_owned(),
                });
            }
        }
        if let Some(v) = env("WANGGE_TLS_RELOAD_SECONDS") {
            let secs = parse("WANGGE_TLS_RELOAD_SECONDS", &v)?;
            match self.tls.as_mut() {
                Some(t) => t.reload_seconds = secs,
                None => {
                    return Err(ConfigError::Env {
                        var: "WANGGE_TLS_RELOAD_SECONDS",
                        cause: "only with a certificate and key ([tls] or WANGGE_TLS_CERT_FILE)"
                            .to_owned(),
                    });
                }
            }
        }
        if let Some(v) = env("WANGGE_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| parse("WANGGE_TRUSTED_PROXIES", a))
                .collect::<Result<_, _>>()?;
        }
        let l = &mut self.limits;
        if let Some(v) = env("WANGGE_ENROLL_ATTEMPTS") {
            l.enroll_attempts = parse("WANGGE_ENROLL_ATTEMPTS", &v)?;
        }
        if let Some(v) = env("WANGGE_ENROLL_WINDOW_SECONDS") {
            l.enroll_window_seconds = parse("WANGGE_ENROLL_WINDOW_SECONDS", &v)?;
        }
        if let Some(v) = env("WANGGE_MAX_MESSAGE_BYTES") {
            l.max_message_bytes = parse("WANGGE_MAX_MESSAGE_BYTES", &v)?;
        }
        if let Some(v) = env("WANGGE_MAX_DOCS_PER_CONNECTION") {
            l.max_docs_per_connection = parse("WANGGE_MAX_DOCS_PER_CONNECTION", &v)?;
        }
        if let Some(v) = env("WANGGE_MAX_CONNECTIONS_PER_IP") {
            l.max_connections_per_ip = parse("WANGGE_MAX_CONNECTIONS_PER_IP", &v)?;
        }
        if let Some(v) = env("WANGGE_WS_READ_BUFFER_BYTES") {
            l.ws_read_buffer_bytes = parse("WANGGE_WS_READ_BUFFER_BYTES", &v)?;
        }
        if let Some(v) = env("WANGGE_WS_WRITE_BUFFER_BYTES") {
            l.ws_write_buffer_bytes = parse("WANGGE_WS_WRITE_BUFFER_BYTES", &v)?;
        }
        if let Some(v) = env("WANGGE_IDLE_DOC_SECONDS") {
            l.idle_doc_seconds = parse("WANGGE_IDLE_DOC_SECONDS", &v)?;
        }
        if let Some(v) = env("WANGGE_ADMIN_POLL_MILLIS") {
            l.admin_poll_millis = parse("WANGGE_ADMIN_POLL_MILLIS", &v)?;
        }
        if let Some(v) = env("WANGGE_MAX_UPLOAD_BYTES") {
            l.max_upload_bytes = parse("WANGGE_MAX_UPLOAD_BYTES", &v)?;
        }
        let p = &mut self.photos;
        if let Some(v) = env("WANGGE_PHOTO_STORE") {
            p.store = match v.trim() {
                "database" => PhotoStoreKind::Database,
                "s3" => PhotoStoreKind::S3,
                _ => {
                    return Err(ConfigError::Env {
                        var: "WANGGE_PHOTO_STORE",
                        cause: "use database or s3".to_owned(),
                    });
                }
            };
        }
        if let Some(v) = env("WANGGE_S3_ENDPOINT") {
            p.s3_endpoint = Some(v);
        }
        if let Some(v) = env("WANGGE_S3_BUCKET") {
            p.s3_bucket = Some(v);
        }
        if let Some(v) = env("WANGGE_S3_REGION") {
            p.s3_region = v;
        }
        if let Some(v) = env("WANGGE_S3_ACCESS_KEY_ID") {
            p.s3_access_key_id = Some(v);
        }
        if let Some(v) = env("WANGGE_S3_SECRET_ACCESS_KEY") {
            p.s3_secret_access_key = Some(Secret::new(v));
        }
        if let Some(v) = env("WANGGE_S3_PREFIX") {
            p.s3_prefix = v;
        }
        if let Some(v) = env("WANGGE_S3_ALLOW_HTTP") {
            p.s3_allow_http = parse("WANGGE_S3_ALLOW_HTTP", &v)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses_to_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("relay.example.toml");
        let config = Config::load_with(Some(&path), |_| None).unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn env_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\n[limits]\nidle_doc_seconds = 5\n",
        )
        .unwrap();
        let config = Config::load_with(Some(&path), |k| {
            (k == "WANGGE_LISTEN").then(|| "127.0.0.1:7000".to_owned())
        })
        .unwrap();
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.limits.idle_doc_seconds, 5);
    }

    #[test]
    fn trusted_proxies_and_the_enrollment_limit_come_from_env() {
        let config = Config::load_with(None, |k| match k {
            "WANGGE_TRUSTED_PROXIES" => Some("10.0.0.1, ::1".to_owned()),
            "WANGGE_ENROLL_ATTEMPTS" => Some("3".to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.limits.enroll_attempts, 3);
        assert!(matches!(
            Config::load_with(None, |k| (k == "WANGGE_TRUSTED_PROXIES")
                .then(|| "10.0.0.1,proxy".to_owned())),
            Err(ConfigError::Env { .. })
        ));
    }

    fn s3_env(extra: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            [
                ("WANGGE_PHOTO_STORE", "s3"),
                ("WANGGE_S3_BUCKET", "photos"),
                ("WANGGE_S3_ENDPOINT", "http://127.0.0.1:8333"),
                ("WANGGE_S3_ALLOW_HTTP", "true"),
                ("WANGGE_S3_ACCESS_KEY_ID", "relay"),
                ("WANGGE_S3_SECRET_ACCESS_KEY", "very-secret-key"),
            ]
            .iter()
            .chain(extra)
            .rev()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn photos_stay_in_the_database_unless_told() {
        let config = Config::load_with(None, |_| None).unwrap();
        assert_eq!(config.photos.store, PhotoStoreKind::Database);
        assert_eq!(config.photos.s3().unwrap(), None);
    }

    #[test]
    fn an_s3_photo_store_comes_from_the_file_and_the_secret_from_env() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.toml");
        std::fs::write(
            &path,
            "[photos]\nstore = \"s3\"\ns3_endpoint = \"https://s3.city.example\"\n\
             s3_bucket = \"wangge-photos\"\ns3_access_key_id = \"relay\"\n\
             s3_prefix = \"district-a/\"\n",
        )
        .unwrap();
        let config = Config::load_with(Some(&path), |k| {
            (k == "WANGGE_S3_SECRET_ACCESS_KEY").then(|| "very-secret-key".to_owned())
        })
        .unwrap();
        let s3 = config.photos.s3().unwrap().expect("s3");
        assert_eq!(s3.endpoint.as_deref(), Some("https://s3.city.example"));
        assert_eq!(s3.bucket, "wangge-photos");
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.prefix, "district-a/");
        assert!(!s3.allow_http);
        let (id, secret) = s3.credentials.expect("credentials");
        assert_eq!((id.as_str(), secret.expose()), ("relay", "very-secret-key"));
    }

    #[test]
    fn the_s3_secret_never_shows_in_debug_output() {
        let config = Config::load_with(None, s3_env(&[])).unwrap();
        let printed = format!("{config:?} {:?}", config.photos.s3().unwrap());
        assert!(!printed.contains("very-secret-key"), "{printed}");
        assert!(printed.contains("<redacted>"));
    }

    #[test]
    fn a_bad_s3_photo_store_is_refused_at_load_naming_the_problem() {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (&[("WANGGE_S3_BUCKET", "")], "s3_bucket"),
            (&[("WANGGE_S3_ALLOW_HTTP", "false")], "s3_allow_http"),
            (
                &[("WANGGE_S3_ENDPOINT", "s3.example")],
                "http:// or https://",
            ),
            (
                &[("WANGGE_S3_SECRET_ACCESS_KEY", "")],
                "s3_secret_access_key",
            ),
            (&[("WANGGE_S3_PREFIX", "/photos")], "s3_prefix"),
        ];
        for (extra, named) in cases {
            let err = Config::load_with(None, s3_env(extra)).unwrap_err();
            assert!(matches!(err, ConfigError::Photos(_)), "{err}");
            assert!(err.to_string().contains(named), "{err} should name {named}");
            assert!(!err.to_string().contains("very-secret-key"));
        }
        assert!(matches!(
            Config::load_with(None, s3_env(&[("WANGGE_PHOTO_STORE", "s4")])),
            Err(ConfigError::Env { .. })
        ));
        assert!(Config::load_with(None, s3_env(&[])).is_ok());
    }

    #[test]
    fn unknown_keys_and_bad_env_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.toml");
        std::fs::write(&path, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        assert!(matches!(
            Config::load_with(Some(&path), |_| None),
            Err(ConfigError::Parse { .. })
        ));
        assert!(matches!(
            Config::load_with(None, |k| (k == "WANGGE_LISTEN").then(|| "nope".to_owned())),
            Err(ConfigError::Env { .. })
        ));
    }
}
