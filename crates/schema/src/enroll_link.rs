//! The enrollment link: what the relay's admin hands a new device (printed, or as a QR
//! code) and the device reads back, so neither the relay address nor the one-time code is
//! typed by hand.
//!
//! ```text
//! wangge://enroll?v=1&relay=https%3A%2F%2Frelay.example.cn&code=ABCD-EFGH-JKLM
//!                [&ca=<base64url DER certificate> | &pin=<base64url SHA-256 of the SPKI>…]
//!                [&plain=1]
//! ```
//!
//! - `v`: the link's version; this build reads [`LINK_VERSION`] and refuses any other, so
//!   a later format cannot be half-read.
//! - `relay`: the relay's base address ([`RelayUrl`]), form-urlencoded.
//! - `code`: the one-time enrollment code.
//! - `ca`: a CA certificate (DER, base64url) to trust for this relay instead of the
//!   system's roots; or `pin`: up to [`MAX_PINS`] SHA-256 digests of the relay's public
//!   key (SPKI), to trust only those keys. Not both.
//! - `plain=1`: the deployment allows plain `http://` to an address that is not this
//!   machine; without it such a link is refused, so a link cannot quietly downgrade a
//!   device to an unencrypted link.
//!
//! Parameters this version does not know are ignored (a newer relay may add hints); a
//! known one given twice is refused. Parsing and encoding are the `url` crate's.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use crate::error::ErrorCode;
use crate::relay_url::{RelayUrl, RelayUrlError};

/// The link's scheme.
pub const SCHEME: &str = "wangge";
/// The link's host: what the link is for.
pub const ENROLL_HOST: &str = "enroll";
/// The version this build writes and reads.
pub const LINK_VERSION: u32 = 1;
/// Most key pins one link carries (the key in use and the next one).
pub const MAX_PINS: usize = 2;
/// Longest link read, in bytes (a QR code holds at most 2,953).
pub const MAX_LINK_BYTES: usize = 8 * 1024;
/// Longest enrollment code read, in characters.
pub const MAX_CODE_CHARS: usize = 64;
/// Largest CA certificate carried, in bytes of DER.
pub const MAX_CA_BYTES: usize = 4096;

/// Why a text is not a usable enrollment link. Each has a stable [`EnrollLinkError::code`]
/// the UI maps to Chinese text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollLinkError {
    /// Not a `wangge://enroll?…` link at all (or far too long to be one).
    #[error("this is not a Wangge enrollment link")]
    NotWangge,
    /// A version this build does not read (or none).
    #[error("the enrollment link's version {0:?} is not one this app reads")]
    UnknownVersion(Option<String>),
    /// No `relay` parameter.
    #[error("the enrollment link has no relay address")]
    MissingRelay,
    /// No `code` parameter, or an empty one.
    #[error("the enrollment link has no enrollment code")]
    MissingCode,
    /// The code is not an enrollment code (characters other than letters, digits and
    /// dashes, or too long), or given twice.
    #[error("the enrollment link's code is malformed")]
    BadCode,
    /// The relay address is not usable, or given twice.
    #[error("the enrollment link's relay address is not usable: {0}")]
    BadRelay(RelayUrlError),
    /// A `ca` or `pin` that is not base64url of what it should be, too many pins, or
    /// both a CA and pins.
    #[error("the enrollment link's certificate or key pin is malformed")]
    BadTrustAnchor,
    /// Plain `http://` to an address that is not this machine, and the link does not say
    /// the deployment allows it (`plain=1`).
    #[error("the enrollment link points at plain http:// without allowing it")]
    PlainNotAllowed,
}

impl EnrollLinkError {
    /// The stable code the UI keys its Chinese text on.
    pub fn code(&self) -> ErrorCode {
        match self {
            EnrollLinkError::NotWangge => ErrorCode::EnrollLinkNotWangge,
            EnrollLinkError::UnknownVersion(_) => ErrorCode::EnrollLinkVersion,
            EnrollLinkError::MissingRelay => ErrorCode::EnrollLinkNoRelay,
            EnrollLinkError::MissingCode => ErrorCode::EnrollLinkNoCode,
            EnrollLinkError::BadCode => ErrorCode::EnrollLinkBadCode,
            EnrollLinkError::BadRelay(_) => ErrorCode::EnrollLinkBadRelay,
            EnrollLinkError::BadTrustAnchor => ErrorCode::EnrollLinkBadAnchor,
            EnrollLinkError::PlainNotAllowed => ErrorCode::EnrollLinkPlain,
        }
    }
}

/// What the device trusts for the relay's TLS certificate.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum TrustAnchor {
    /// The system's roots (the usual case: a certificate from a public CA).
    #[default]
    System,
    /// This CA certificate (DER), e.g. a government or deployment CA.
    Ca(Vec<u8>),
    /// Only these public keys: SHA-256 digests of the relay's SPKI (1 to [`MAX_PINS`]).
    Pins(Vec<[u8; 32]>),
}

impl fmt::Debug for TrustAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustAnchor::System => f.write_str("System"),
            TrustAnchor::Ca(der) => write!(f, "Ca({} bytes)", der.len()),
            TrustAnchor::Pins(p) => {
                let pins: Vec<String> = p.iter().map(|d| URL_SAFE_NO_PAD.encode(d)).collect();
                write!(f, "Pins({pins:?})")
            }
        }
    }
}

/// An enrollment link: the relay, the one-time code, what to trust.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollLink {
    /// The relay.
    pub relay: RelayUrl,
    /// The one-time code, as the relay printed it.
    pub code: String,
    /// What to trust for the relay's certificate.
    pub trust: TrustAnchor,
    /// The deployment allows plain `http://` to an address that is not this machine.
    pub allow_plain: bool,
}

impl fmt::Debug for EnrollLink {
    // The code is a secret until used: never in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollLink")
            .field("relay", &self.relay)
            .field("trust", &self.trust)
            .field("allow_plain", &self.allow_plain)
            .finish_non_exhaustive()
    }
}

fn code_ok(code: &str) -> bool {
    code.chars().count() <= MAX_CODE_CHARS
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn decode_b64(value: &str) -> Result<Vec<u8>, EnrollLinkError> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| EnrollLinkError::BadTrustAnchor)
}

fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    twice: EnrollLinkError,
) -> Result<(), EnrollLinkError> {
    if slot.is_some() {
        return Err(twice);
    }
    *slot = Some(value);
    Ok(())
}

impl EnrollLink {
    /// A link to `relay` with `code`, trusting the system's roots.
    pub fn new(relay: RelayUrl, code: impl Into<String>) -> Self {
        Self {
            relay,
            code: code.into(),
            trust: TrustAnchor::System,
            allow_plain: false,
        }
    }

    /// Whether the relay is plain `http://` to an address that is not this machine (what
    /// [`EnrollLink::allow_plain`] must allow, and the app shows).
    pub fn is_plain_remote(&self) -> bool {
        !self.relay.is_tls() && !self.relay.is_loopback()
    }

    /// Reads a link from pasted or scanned text (whitespace around it is ignored).
    pub fn parse(text: &str) -> Result<Self, EnrollLinkError> {
        let text = text.trim();
        if text.len() > MAX_LINK_BYTES {
            return Err(EnrollLinkError::NotWangge);
        }
        let url = Url::parse(text).map_err(|_| EnrollLinkError::NotWangge)?;
        if url.scheme() != SCHEME
            || !url
                .host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(ENROLL_HOST))
            || !matches!(url.path(), "" | "/")
        {
            return Err(EnrollLinkError::NotWangge);
        }
        let mut version = None;
        let mut relay = None;
        let mut code = None;
        let mut ca = None;
        let mut pins: Vec<[u8; 32]> = Vec::new();
        let mut plain = None;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "v" => set_once(
                    &mut version,
                    value.into_owned(),
                    EnrollLinkError::UnknownVersion(None),
                )?,
                "relay" => set_once(
                    &mut relay,
                    value.into_owned(),
                    EnrollLinkError::BadRelay(RelayUrlError::Extras),
                )?,
                "code" => set_once(&mut code, value.into_owned(), EnrollLinkError::BadCode)?,
                "ca" => set_once(
                    &mut ca,
                    decode_b64(&value)?,
                    EnrollLinkError::BadTrustAnchor,
                )?,
                "pin" => {
                    let pin: [u8; 32] = decode_b64(&value)?
                        .try_into()
                        .map_err(|_| EnrollLinkError::BadTrustAnchor)?;
                    if pins.len() == MAX_PINS {
                        return Err(EnrollLinkError::BadTrustAnchor);
                    }
                    pins.push(pin);
                }
                "plain" => set_once(&mut plain, value == "1", EnrollLinkError::NotWangge)?,
                _ => {}
            }
        }
        match version.as_deref() {
            Some(v) if v.parse::<u32>() == Ok(LINK_VERSION) => {}
            other => return Err(EnrollLinkError::UnknownVersion(other.map(str::to_owned))),
        }
        let relay = relay.ok_or(EnrollLinkError::MissingRelay)?;
        let relay = RelayUrl::parse(&relay).map_err(EnrollLinkError::BadRelay)?;
        let code = code.map(|c| c.trim().to_owned()).unwrap_or_default();
        if code.is_empty() {
            return Err(EnrollLinkError::MissingCode);
        }
        if !code_ok(&code) {
            return Err(EnrollLinkError::BadCode);
        }
        let trust = match (ca, pins.is_empty()) {
            (None, true) => TrustAnchor::System,
            (None, false) => TrustAnchor::Pins(pins),
            // A DER certificate is a SEQUENCE.
            (Some(der), true) if der.first() == Some(&0x30) && der.len() <= MAX_CA_BYTES => {
                TrustAnchor::Ca(der)
            }
            (Some(_), _) => return Err(EnrollLinkError::BadTrustAnchor),
        };
        let link = EnrollLink {
            relay,
            code,
            trust,
            allow_plain: plain.unwrap_or(false),
        };
        if link.is_plain_remote() && !link.allow_plain {
            return Err(EnrollLinkError::PlainNotAllowed);
        }
        Ok(link)
    }

    /// The link as text, `wangge://enroll?v=1&relay=…&code=…[&ca=…|&pin=…][&plain=1]`.
    /// `plain=1` is written only where it matters (plain `http://` to another machine).
    pub fn encode(&self) -> String {
        let mut url = match Url::parse(&format!("{SCHEME}://{ENROLL_HOST}")) {
            Ok(u) => u,
            // A constant that parses; unreachable in practice, and never half a link.
            Err(_) => return String::new(),
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("v", &LINK_VERSION.to_string())
                .append_pair("relay", &self.relay.base())
                .append_pair("code", &self.code);
            match &self.trust {
                TrustAnchor::System => {}
                TrustAnchor::Ca(der) => {
                    q.append_pair("ca", &URL_SAFE_NO_PAD.encode(der));
                }
                TrustAnchor::Pins(pins) => {
                    for p in pins {
                        q.append_pair("pin", &URL_SAFE_NO_PAD.encode(p));
                    }
                }
            }
            if self.allow_plain && self.is_plain_remote() {
                q.append_pair("plain", "1");
            }
        }
        url.into()
    }
}

impl fmt::Display for EnrollLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl std::str::FromStr for EnrollLink {
    type Err = EnrollLinkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A pin from its base64url text (as `--pin` takes it): the SHA-256 of a SPKI.
pub fn parse_pin(text: &str) -> Result<[u8; 32], EnrollLinkError> {
    decode_b64(text.trim())?
        .try_into()
        .map_err(|_| EnrollLinkError::BadTrustAnchor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay(s: &str) -> RelayUrl {
        RelayUrl::parse(s).unwrap()
    }

    #[test]
    fn links_round_trip_with_each_trust_anchor() {
        let mut link = EnrollLink::new(relay("https://relay.example.cn/wangge"), "ABCD-EFGH-JKLM");
        let text = link.encode();
        assert_eq!(
            text,
            "wangge://enroll?v=1&relay=https%3A%2F%2Frelay.example.cn%2Fwangge&code=ABCD-EFGH-JKLM"
        );
        assert_eq!(EnrollLink::parse(&text).unwrap(), link);

        link.trust = TrustAnchor::Pins(vec![[7; 32], [9; 32]]);
        let text = link.encode();
        assert_eq!(text.matches("&pin=").count(), 2, "{text}");
        assert_eq!(EnrollLink::parse(&text).unwrap(), link);

        link.trust = TrustAnchor::Ca(vec![0x30, 0x82, 1, 2, 3]);
        assert_eq!(EnrollLink::parse(&link.encode()).unwrap(), link);

        let plain = EnrollLink {
            allow_plain: true,
            ..EnrollLink::new(relay("http://192.168.1.10:3030"), "ABCD")
        };
        let text = plain.encode();
        assert!(text.ends_with("&plain=1"), "{text}");
        assert_eq!(EnrollLink::parse(&text).unwrap(), plain);
        assert!(
            !format!("{plain:?}").contains("ABCD"),
            "the code stays out of logs"
        );
    }

    #[test]
    fn pasted_text_with_whitespace_and_loopback_http_are_fine() {
        let link = EnrollLink::parse(
            "\n  wangge://enroll?v=1&relay=http%3A%2F%2F127.0.0.1%3A3030&code=abcd-efgh&hint=x \t",
        )
        .unwrap();
        assert_eq!(link.relay.base(), "http://127.0.0.1:3030");
        assert_eq!(link.code, "abcd-efgh");
        assert_eq!(link.trust, TrustAnchor::System);
        assert!(!link.allow_plain && !link.is_plain_remote());
    }

    #[test]
    fn each_malformed_link_says_what_is_wrong() {
        use EnrollLinkError as E;
        let r = "relay=https%3A%2F%2Fr.example";
        let pin = URL_SAFE_NO_PAD.encode([1u8; 32]);
        let cases: Vec<(String, EnrollLinkError)> = vec![
            ("https://r.example/enroll?v=1".into(), E::NotWangge),
            ("ABCD-EFGH".into(), E::NotWangge),
            ("wangge://login?v=1".into(), E::NotWangge),
            (
                format!("wangge://enroll?v=1&{}", "x".repeat(MAX_LINK_BYTES)),
                E::NotWangge,
            ),
            (
                format!("wangge://enroll?{r}&code=A"),
                E::UnknownVersion(None),
            ),
            (
                format!("wangge://enroll?v=2&{r}&code=A"),
                E::UnknownVersion(Some("2".into())),
            ),
            ("wangge://enroll?v=1&code=A".into(), E::MissingRelay),
            (format!("wangge://enroll?v=1&{r}"), E::MissingCode),
            (format!("wangge://enroll?v=1&{r}&code=+"), E::MissingCode),
            (format!("wangge://enroll?v=1&{r}&code=A%3BB"), E::BadCode),
            (format!("wangge://enroll?v=1&{r}&code=A&code=B"), E::BadCode),
            (
                "wangge://enroll?v=1&relay=ftp%3A%2F%2Fx&code=A".into(),
                E::BadRelay(RelayUrlError::Scheme),
            ),
            (
                format!("wangge://enroll?v=1&{r}&code=A&pin=abc"),
                E::BadTrustAnchor,
            ),
            (
                format!("wangge://enroll?v=1&{r}&code=A&pin=%%%"),
                E::BadTrustAnchor,
            ),
            (
                format!("wangge://enroll?v=1&{r}&code=A&pin={pin}&pin={pin}&pin={pin}"),
                E::BadTrustAnchor,
            ),
            (
                format!("wangge://enroll?v=1&{r}&code=A&ca=AAEC"),
                E::BadTrustAnchor,
            ),
            (
                format!("wangge://enroll?v=1&{r}&code=A&ca=MAEC&pin={pin}"),
                E::BadTrustAnchor,
            ),
            (
                "wangge://enroll?v=1&relay=http%3A%2F%2F10.0.0.2%3A3030&code=A".into(),
                E::PlainNotAllowed,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(EnrollLink::parse(&text), Err(want.clone()), "{text}");
            assert!(want.code().code().starts_with("enroll_link_"));
        }
        assert_eq!(parse_pin(&pin), Ok([1; 32]));
        assert_eq!(parse_pin("AAAA"), Err(E::BadTrustAnchor));
    }
}
