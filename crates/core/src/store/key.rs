//! The database key: 256 random bits, from the OS keystore (app side) or a 0600 key file.

use std::fmt;
use std::io::Write;
use std::path::Path;

use rand::RngCore;

use crate::error::{CoreError, Result};

/// A 256-bit SQLCipher raw key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct DbKey([u8; 32]);

impl DbKey {
    /// 256 fresh random bits from the OS.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        Self(k)
    }

    /// From raw bytes (as kept by an OS keystore).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let k: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CoreError::BadKey(format!("key must be 32 bytes, got {}", bytes.len())))?;
        Ok(Self(k))
    }

    /// From 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self> {
        let bytes =
            hex::decode(s.trim()).map_err(|_| CoreError::BadKey("key is not hex".into()))?;
        Self::from_bytes(&bytes)
    }

    /// The raw bytes, for handing to a keystore.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The SQLCipher `PRAGMA key` argument for a raw key (no passphrase derivation).
    pub(crate) fn pragma_literal(&self) -> String {
        format!("\"x'{}'\"", hex::encode(self.0))
    }

    /// Reads the key from a key file, creating the file with a new key (mode 0600) when it
    /// does not exist. Refuses a file other users can read.
    pub fn load_or_create_file(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(s) => {
                check_private(path)?;
                Self::from_hex(&s)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let key = Self::generate();
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(path)?;
                f.write_all(hex::encode(key.0).as_bytes())?;
                f.sync_all()?;
                Ok(key)
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(CoreError::BadKey(format!(
            "key file {} is readable by other users (mode {:o}); chmod 600 it",
            path.display(),
            mode & 0o777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey(<redacted>)")
    }
}

/// Returns once SQLCipher has finished initialising in this process (checked once).
///
/// SQLite marks itself initialised before it runs SQLCipher's own initialisation
/// (`SQLITE_EXTRA_INIT` runs after `isInit` is set), so a thread that opens its first
/// connection meanwhile gets a codec that refuses `PRAGMA key`, with no log line: two
/// stores opened at once at start-up could fail one of them. A keyed in-memory probe
/// succeeds only once that initialisation is done; other threads wait here until it does
/// (bounded: past 5 s the caller's own open reports whatever is wrong).
pub(super) fn wait_for_sqlcipher() {
    static READY: std::sync::Once = std::sync::Once::new();
    READY.call_once(|| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while rusqlite::Connection::open_in_memory()
            .and_then(|c| c.execute_batch("PRAGMA key = 'probe';"))
            .is_err()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/db.key");
        let k1 = DbKey::load_or_create_file(&path).unwrap();
        let k2 = DbKey::load_or_create_file(&path).unwrap();
        assert_eq!(k1, k2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_world_readable_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.key");
        DbKey::load_or_create_file(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = DbKey::load_or_create_file(&path).unwrap_err();
        assert_eq!(err.code(), "bad_key");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = DbKey::generate();
        assert_eq!(format!("{k:?}"), "DbKey(<redacted>)");
    }

    #[test]
    fn bad_key_material_is_refused() {
        assert_eq!(DbKey::from_hex("abcd").unwrap_err().code(), "bad_key");
        assert_eq!(DbKey::from_hex("zz").unwrap_err().code(), "bad_key");
    }
}
