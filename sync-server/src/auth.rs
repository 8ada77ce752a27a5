//! Device tokens, enrollment codes, and the peer id each device is bound to.
//!
//! A token is 256 random bits written as `wgt_` + 64 hex digits; the relay stores only its
//! SHA-256. An enrollment code is 12 characters from an unambiguous alphabet, also stored
//! only as a hash. A device's peer id is `device-<device id, 32 hex>`; a join may use it
//! as is or with a `.suffix` (one per browser tab), and nothing else.

use std::fmt;

use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wangge_proto::PeerId;

/// Prefix of every device token.
pub const TOKEN_PREFIX: &str = "wgt_";
/// Subprotocol a browser offers alongside its token entry (the relay selects it).
pub const SUBPROTOCOL: &str = "wangge.v1";
/// Prefix of the `Sec-WebSocket-Protocol` entry that carries a token.
pub const SUBPROTOCOL_TOKEN_PREFIX: &str = "wangge.token.";
/// Query parameter that may carry a token.
pub const TOKEN_QUERY_PARAM: &str = "token";

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 12;
const MAX_SUFFIX: usize = 32;

/// A secret string whose `Debug` does not show it.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself; handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// SHA-256 of a secret, as lowercase hex.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh device token.
pub fn new_token() -> Secret {
    let bytes: [u8; 32] = rand::rng().random();
    Secret(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
}

/// Whether a string has the shape of a token (checked before hashing anything).
pub fn looks_like_token(s: &str) -> bool {
    s.strip_prefix(TOKEN_PREFIX)
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A fresh enrollment code, `XXXX-XXXX-XXXX`.
pub fn new_enrollment_code() -> Secret {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(CODE_LEN + 2);
    for i in 0..CODE_LEN {
        if i > 0 && i % 4 == 0 {
            s.push('-');
        }
        let c = CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())];
        s.push(char::from(c));
    }
    Secret(s)
}

/// An enrollment code as typed (any case, with or without dashes and spaces), in the
/// canonical form that is hashed; `None` if it cannot be a code.
pub fn normalize_enrollment_code(typed: &str) -> Option<String> {
    if typed.len() > 64 {
        return None;
    }
    let s: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (s.len() == CODE_LEN && s.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(s)
}

/// The peer id a device must use in `join`.
pub fn device_peer_id(device_id: Uuid) -> PeerId {
    PeerId::new(format!("device-{}", device_id.simple()))
}

/// Whether `peer` is the device's peer id, or it followed by `.` and a short suffix.
pub fn peer_id_allowed(device_id: Uuid, peer: &PeerId) -> bool {
    let own = device_peer_id(device_id);
    match peer.as_str().strip_prefix(own.as_str()) {
        Some("") => true,
        Some(rest) => rest.strip_prefix('.').is_some_and(|s| {
            !s.is_empty()
                && s.len() <= MAX_SUFFIX
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }),
        None => false,
    }
}

/// Finds a token in an upgrade request: `Authorization: Bearer`, then the
/// `Sec-WebSocket-Protocol` entry, then the query parameter.
pub fn token_from_request(
    authorization: Option<&str>,
    subprotocols: Option<&str>,
    query: Option<&str>,
) -> Option<String> {
    let from_header = authorization
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim);
    let from_protocol = || {
        subprotocols?
            .split(',')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(SUBPROTOCOL_TOKEN_PREFIX))
    };
    let from_query = || {
        query?.split('&').find_map(|kv| {
            kv.strip_prefix(TOKEN_QUERY_PARAM)
                .and_then(|v| v.strip_prefix('='))
        })
    };
    from_header
        .or_else(from_protocol)
        .or_else(from_query)
        .filter(|t| looks_like_token(t))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert!(looks_like_token(a.expose()));
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "Secret(<redacted>)");
        assert_eq!(hash_secret(a.expose()).len(), 64);
    }

    #[test]
    fn codes_normalise_as_typed() {
        let code = new_enrollment_code();
        let typed = code.expose().to_lowercase().replace('-', " ");
        assert_eq!(
            normalize_enrollment_code(&typed),
            Some(code.expose().replace('-', ""))
        );
        assert_eq!(normalize_enrollment_code("O0O0-1111-IIII"), None);
    }

    #[test]
    fn a_device_may_join_only_as_itself() {
        let d = Uuid::new_v4();
        let own = device_peer_id(d);
        assert!(peer_id_allowed(d, &own));
        assert!(peer_id_allowed(d, &PeerId::new(format!("{own}.tab-2"))));
        assert!(!peer_id_allowed(d, &PeerId::new(format!("{own}x"))));
        assert!(!peer_id_allowed(d, &PeerId::new(format!("{own}.a/b"))));
        assert!(!peer_id_allowed(d, &device_peer_id(Uuid::new_v4())));
    }

    #[test]
    fn tokens_are_found_in_every_form() {
        let t = new_token();
        let t = t.expose();
        let bearer = format!("Bearer {t}");
        assert_eq!(
            token_from_request(Some(&bearer), None, None).as_deref(),
            Some(t)
        );
        let protos = format!("{SUBPROTOCOL}, {SUBPROTOCOL_TOKEN_PREFIX}{t}");
        assert_eq!(
            token_from_request(None, Some(&protos), None).as_deref(),
            Some(t)
        );
        let query = format!("a=b&token={t}");
        assert_eq!(
            token_from_request(None, None, Some(&query)).as_deref(),
            Some(t)
        );
        assert_eq!(token_from_request(Some("Bearer nope"), None, None), None);
        assert_eq!(token_from_request(None, None, None), None);
    }
}
