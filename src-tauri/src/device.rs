//! `device.json`: how this device is set up (demo, or enrolled at a relay), kept 0600 in
//! the data directory beside the store and its key file.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use wangge_core::sync::{Enrollment, Transport};
use wangge_core::{ActingParty, ErrorCode, GridCode};
use wangge_schema::enroll_link::{EnrollLink, TrustAnchor, parse_pin};

use crate::error::{AppError, AppResult};

/// File name of the device settings in the data directory.
pub const DEVICE_FILE: &str = "device.json";
/// File name of the encrypted store.
pub const STORE_FILE: &str = "wangge.db";
/// File name of the demo's store: invented people live apart from real records, so
/// enrolling after a demo starts clean and no demo record ever reaches a relay.
pub const DEMO_STORE_FILE: &str = "demo.db";
/// File name of the store's key (0600).
pub const KEY_FILE: &str = "wangge.key";
/// The member id the demo records as.
pub const DEMO_MEMBER: &str = "demo";
/// The member id before any set-up.
pub const LOCAL_MEMBER: &str = "local";

/// How the device is set up.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Device {
    /// An offline demo grid of invented people.
    Demo {
        /// The demo grid.
        grid: String,
    },
    /// Enrolled at a relay.
    Enrolled {
        /// The relay's base URL (`http://host:port`).
        relay_url: String,
        /// This device at the relay.
        device_id: String,
        /// The member (relay user) this device records as.
        user_id: String,
        /// The `senderId` this device joins with.
        peer_id: String,
        /// The device token (secret).
        token: String,
        /// The member's role.
        role: String,
        /// Grid or division codes the member may read.
        scopes: Vec<String>,
        /// What the enrollment link said to trust for the relay's certificate (the public
        /// web roots when enrolled by a typed address), and whether plain links are allowed.
        #[serde(default)]
        trust: StoredTrust,
    },
}

/// The trust an enrollment link carried, as `device.json` keeps it (base64url, as the
/// link has it).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredTrust {
    /// The deployment's CA certificate (DER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    /// SHA-256 pins of the relay's public keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<String>,
    /// The deployment allows plain `http://` to another machine.
    #[serde(default)]
    pub allow_plain: bool,
}

impl StoredTrust {
    /// What a link says.
    pub fn of(link: &EnrollLink) -> Self {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let (ca, pins) = match &link.trust {
            TrustAnchor::System => (None, vec![]),
            TrustAnchor::Ca(der) => (Some(b64(der)), vec![]),
            TrustAnchor::Pins(p) => (None, p.iter().map(|d| b64(d)).collect()),
        };
        Self {
            ca,
            pins,
            allow_plain: link.allow_plain,
        }
    }

    /// The transport the sync engine uses. A value that no longer reads (a hand-edited
    /// file) trusts nothing rather than everything: the sync page then shows the
    /// certificate as untrusted.
    pub fn transport(&self) -> Transport {
        let trust = if let Some(ca) = &self.ca {
            TrustAnchor::Ca(URL_SAFE_NO_PAD.decode(ca).unwrap_or_default())
        } else if !self.pins.is_empty() {
            let pins: Vec<[u8; 32]> = self
                .pins
                .iter()
                .map(|p| parse_pin(p).unwrap_or([0; 32]))
                .collect();
            TrustAnchor::Pins(pins)
        } else {
            TrustAnchor::System
        };
        Transport::new(&trust, self.allow_plain)
    }
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Demo { grid } => f.debug_struct("Demo").field("grid", grid).finish(),
            Device::Enrolled {
                device_id, role, ..
            } => f
                .debug_struct("Enrolled")
                .field("device_id", device_id)
                .field("role", role)
                .finish_non_exhaustive(),
        }
    }
}

impl Device {
    /// The settings an enrollment answer gives, with the trust the enrollment used.
    pub fn enrolled(relay_url: &str, e: Enrollment, trust: StoredTrust) -> Self {
        Device::Enrolled {
            relay_url: relay_url.trim_end_matches('/').to_owned(),
            device_id: e.device_id.to_string(),
            user_id: e.user_id.to_string(),
            peer_id: e.peer_id,
            token: e.token,
            role: e.role.to_string(),
            scopes: e.scopes.iter().map(ToString::to_string).collect(),
            trust,
        }
    }

    /// The store file this set-up works in (in the data dir).
    pub fn store_file(device: Option<&Device>) -> &'static str {
        match device {
            Some(Device::Demo { .. }) => DEMO_STORE_FILE,
            _ => STORE_FILE,
        }
    }

    /// The member id the store records as.
    pub fn member(&self) -> &str {
        match self {
            Device::Demo { .. } => DEMO_MEMBER,
            Device::Enrolled { user_id, .. } => user_id,
        }
    }

    /// The party an enrolled device plays in events' chain of command (`None`: a demo, or
    /// a role this build does not know).
    pub fn party(&self) -> Option<ActingParty> {
        match self {
            Device::Demo { .. } => None,
            Device::Enrolled { role, scopes, .. } => role
                .parse::<wangge_core::Role>()
                .ok()
                .map(|r| ActingParty::enrolled(r, scopes)),
        }
    }

    /// The grids the member works in (division scopes are not grids).
    pub fn grids(&self) -> Vec<GridCode> {
        match self {
            Device::Demo { grid } => grid.parse().into_iter().collect(),
            Device::Enrolled { scopes, .. } => {
                scopes.iter().filter_map(|s| s.parse().ok()).collect()
            }
        }
    }

    /// The member's own grid: the first grid in scope.
    pub fn grid(&self) -> Option<GridCode> {
        self.grids().into_iter().next()
    }

    /// The member's role.
    pub fn role(&self) -> &str {
        match self {
            Device::Demo { .. } => "member",
            Device::Enrolled { role, .. } => role,
        }
    }

    /// Reads `device.json` from `dir`; `None` when the device is not set up yet.
    pub fn load(dir: &Path) -> AppResult<Option<Self>> {
        let path = dir.join(DEVICE_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                AppError::new(ErrorCode::BadDeviceFile, format!("{}: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(AppError::new(ErrorCode::IoError, e.to_string())),
        }
    }

    /// Writes `device.json` into `dir` (mode 0600), replacing any previous one atomically.
    pub fn save(&self, dir: &Path) -> AppResult<()> {
        let io = |e: std::io::Error| AppError::new(ErrorCode::IoError, e.to_string());
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| AppError::new(ErrorCode::IoError, e.to_string()))?;
        let tmp: PathBuf = dir.join(format!("{DEVICE_FILE}.tmp"));
        let _ = std::fs::remove_file(&tmp);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(io)?;
        f.write_all(&json).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, dir.join(DEVICE_FILE)).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enrolled_device_round_trips_and_keeps_its_token_out_of_debug() {
        let dir = tempfile::tempdir().unwrap();
        let d = Device::Enrolled {
            relay_url: "http://127.0.0.1:1".into(),
            device_id: "dev1".into(),
            user_id: "m1".into(),
            peer_id: "peer1".into(),
            token: "secret-token".into(),
            role: "member".into(),
            scopes: vec!["110105001001".into(), "110105001001002".into()],
            trust: StoredTrust {
                pins: vec!["A".repeat(43)],
                ..StoredTrust::default()
            },
        };
        d.save(dir.path()).unwrap();
        let back = Device::load(dir.path()).unwrap().unwrap();
        assert_eq!(back.member(), "m1");
        assert_eq!(
            back.grids()
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect::<Vec<_>>(),
            ["110105001001002"]
        );
        assert!(!format!("{back:?}").contains("secret-token"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(DEVICE_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_missing_file_means_not_set_up_and_a_broken_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Device::load(dir.path()).unwrap().is_none());
        std::fs::write(dir.path().join(DEVICE_FILE), b"{not json").unwrap();
        assert_eq!(
            Device::load(dir.path()).unwrap_err().code,
            ErrorCode::BadDeviceFile
        );
    }
}
