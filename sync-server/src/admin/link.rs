//! The enrollment link `wangge-relay admin enroll-code --relay-url …` prints beside the
//! code ([`wangge_schema::EnrollLink`], the format the device reads).

use std::io::Write;
use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use wangge_schema::enroll_link::{EnrollLink, EnrollLinkError, MAX_PINS, TrustAnchor, parse_pin};
use wangge_schema::{RelayUrl, RelayUrlError};

use super::qr::{self, QrError, QrFormat};

/// Why the link cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The relay address is not usable.
    #[error("--relay-url: {0}")]
    RelayUrl(#[from] RelayUrlError),
    /// Plain `http://` to another machine without `--allow-plain`.
    #[error(
        "--relay-url is plain http:// to another machine: devices would send their token unencrypted; use https://, or say --allow-plain if this deployment means it"
    )]
    PlainNotAllowed,
    /// A `--pin` that is not base64url of 32 bytes.
    #[error("--pin {0:?} is not a base64url SHA-256 digest (43 characters)")]
    BadPin(String),
    /// More pins than a link carries.
    #[error("at most {MAX_PINS} --pin values")]
    TooManyPins,
    /// `--ca` is not a PEM certificate.
    #[error("--ca is not a PEM certificate file")]
    BadCa,
    /// The link does not read back (a bug if ever seen).
    #[error("the link does not read back: {0}")]
    Invalid(#[from] EnrollLinkError),
    /// `--qr png` without `--out`.
    #[error("--qr png needs --out FILE")]
    NoOut,
    /// The QR code cannot be drawn.
    #[error(transparent)]
    Qr(#[from] QrError),
    /// A file could not be read or written.
    #[error("{path}: {cause}")]
    Io {
        /// The file (`-` for standard output).
        path: String,
        /// Why.
        cause: std::io::Error,
    },
}

/// What `enroll-code` prints besides the code: the link, and its QR code.
#[derive(Debug, Clone)]
pub struct LinkOutput {
    /// `--relay-url`.
    pub relay_url: String,
    /// `--pin`.
    pub pins: Vec<String>,
    /// The `--ca` file's contents.
    pub ca_pem: Option<Vec<u8>>,
    /// `--allow-plain`.
    pub allow_plain: bool,
    /// `--qr`.
    pub qr: Option<QrFormat>,
    /// `--out`.
    pub out: Option<PathBuf>,
}

impl LinkOutput {
    /// Reads the `--ca` file, if any, into a [`LinkOutput`].
    pub fn new(
        relay_url: String,
        pins: Vec<String>,
        ca: Option<&Path>,
        allow_plain: bool,
        qr: Option<QrFormat>,
        out: Option<PathBuf>,
    ) -> Result<Self, LinkError> {
        let ca_pem = ca
            .map(|p| {
                std::fs::read(p).map_err(|cause| LinkError::Io {
                    path: p.display().to_string(),
                    cause,
                })
            })
            .transpose()?;
        Ok(Self {
            relay_url,
            pins,
            ca_pem,
            allow_plain,
            qr,
            out,
        })
    }

    fn link(&self, code: &str) -> Result<EnrollLink, LinkError> {
        enrollment_link(
            &self.relay_url,
            code,
            &self.pins,
            self.ca_pem.as_deref(),
            self.allow_plain,
        )
    }

    /// Checks everything with a stand-in code, so a wrong flag is told before a code is
    /// issued.
    pub fn check(&self) -> Result<(), LinkError> {
        let link = self.link("ABCD-EFGH-JKLM-NPQR")?;
        if self.qr == Some(QrFormat::Png) && self.out.is_none() {
            return Err(LinkError::NoOut);
        }
        if self.qr.is_some() {
            qr::terminal(&link.encode())?;
        }
        Ok(())
    }

    /// Writes the link for `code` on a line of `stdout`, then its QR code (to `stdout`, or
    /// the PNG to `--out`).
    pub fn emit(&self, code: &str, stdout: &mut dyn Write) -> Result<(), LinkError> {
        let text = self.link(code)?.encode();
        let to_stdout = |cause| LinkError::Io {
            path: "-".to_owned(),
            cause,
        };
        writeln!(stdout, "{text}").map_err(to_stdout)?;
        match (self.qr, &self.out) {
            (None, _) => Ok(()),
            (Some(QrFormat::Terminal), _) => {
                write!(stdout, "{}", qr::terminal(&text)?).map_err(to_stdout)
            }
            (Some(QrFormat::Png), None) => Err(LinkError::NoOut),
            (Some(QrFormat::Png), Some(path)) => {
                std::fs::write(path, qr::png(&text)?).map_err(|cause| LinkError::Io {
                    path: path.display().to_string(),
                    cause,
                })
            }
        }
    }
}

/// The link to `relay_url` with `code`, trusting `pins` (base64url SHA-256 of the SPKI) or
/// the CA certificate in `ca_pem`, or the system's roots when neither is given.
pub fn enrollment_link(
    relay_url: &str,
    code: &str,
    pins: &[String],
    ca_pem: Option<&[u8]>,
    allow_plain: bool,
) -> Result<EnrollLink, LinkError> {
    let relay = RelayUrl::parse(relay_url)?;
    let mut link = EnrollLink::new(relay, code);
    if link.is_plain_remote() && !allow_plain {
        return Err(LinkError::PlainNotAllowed);
    }
    link.allow_plain = allow_plain;
    if pins.len() > MAX_PINS {
        return Err(LinkError::TooManyPins);
    }
    if let Some(pem) = ca_pem {
        let der = CertificateDer::from_pem_slice(pem).map_err(|_| LinkError::BadCa)?;
        link.trust = TrustAnchor::Ca(der.as_ref().to_vec());
    } else if !pins.is_empty() {
        let digests = pins
            .iter()
            .map(|p| parse_pin(p).map_err(|_| LinkError::BadPin(p.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        link.trust = TrustAnchor::Pins(digests);
    }
    // What the device will read: the same parser, so a link printed is a link accepted.
    Ok(EnrollLink::parse(&link.encode())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_checked_the_way_the_device_reads_them() {
        let link =
            enrollment_link("https://relay.example.cn", "ABCD-EFGH", &[], None, false).unwrap();
        assert!(
            link.encode()
                .starts_with("wangge://enroll?v=1&relay=https%3A%2F%2F")
        );
        assert!(matches!(
            enrollment_link("http://10.1.2.3:3030", "ABCD", &[], None, false),
            Err(LinkError::PlainNotAllowed)
        ));
        let plain = enrollment_link("http://10.1.2.3:3030", "ABCD", &[], None, true).unwrap();
        assert!(plain.encode().ends_with("&plain=1"));
        let pin = "A".repeat(43);
        let pinned = enrollment_link(
            "https://r.example",
            "ABCD",
            std::slice::from_ref(&pin),
            None,
            false,
        )
        .unwrap();
        assert_eq!(pinned.trust, TrustAnchor::Pins(vec![[0; 32]]));
        assert!(matches!(
            enrollment_link("https://r.example", "ABCD", &["xyz".into()], None, false),
            Err(LinkError::BadPin(_))
        ));
        assert!(matches!(
            enrollment_link(
                "https://r.example",
                "ABCD",
                &[pin.clone(), pin.clone(), pin],
                None,
                false
            ),
            Err(LinkError::TooManyPins)
        ));
        assert!(matches!(
            enrollment_link("https://r.example", "ABCD", &[], Some(b"not pem"), false),
            Err(LinkError::BadCa)
        ));
        let pem = b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
        let with_ca = enrollment_link("https://r.example", "ABCD", &[], Some(pem), false).unwrap();
        assert_eq!(with_ca.trust, TrustAnchor::Ca(vec![0x30, 3, 2, 1, 1]));
    }

    #[test]
    fn the_output_is_checked_first_then_printed_and_drawn() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("code.png");
        let mut out = LinkOutput::new(
            "https://relay.example.cn".into(),
            vec![],
            None,
            false,
            Some(QrFormat::Png),
            None,
        )
        .unwrap();
        assert!(matches!(out.check(), Err(LinkError::NoOut)));
        out.out = Some(png.clone());
        out.check().unwrap();
        let mut printed = Vec::new();
        out.emit("K7M2-QX9P-4HTA", &mut printed).unwrap();
        let printed = String::from_utf8(printed).unwrap();
        assert_eq!(
            printed,
            "wangge://enroll?v=1&relay=https%3A%2F%2Frelay.example.cn&code=K7M2-QX9P-4HTA\n"
        );
        assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
        out.qr = Some(QrFormat::Terminal);
        let mut drawn = Vec::new();
        out.emit("K7M2-QX9P-4HTA", &mut drawn).unwrap();
        assert!(String::from_utf8(drawn).unwrap().lines().count() > 10);
        assert!(matches!(
            LinkOutput::new(
                "x".into(),
                vec![],
                Some(&dir.path().join("no.pem")),
                false,
                None,
                None
            ),
            Err(LinkError::Io { .. })
        ));
    }
}
