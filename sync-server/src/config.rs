//! Relay configuration: defaults, then a TOML file, then `WANGGE_` environment variables.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::engine::EngineLimits;

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
        if let Some(v) = env("WANGGE_DATABASE") {
            self.database = v;
        }
        if let Some(v) = env("WANGGE_PEER_ID") {
            self.peer_id = v;
        }
        let l = &mut self.limits;
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
