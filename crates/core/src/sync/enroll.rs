//! `POST /v1/enroll`: trade a one-time code for a device token (reqwest on the device's
//! TLS configuration, [`super::tls`]).
//!
//! Failures say which side is wrong ([`EnrollError`]): the address, the network (relay
//! unreachable, no answer in time), the code (unknown, used or expired), or the relay.

use std::time::Duration;

use tokio::time::timeout;
use wangge_schema::enroll::{ENROLL_PATH, EnrollRequest, codes};
use wangge_schema::{EnrollLinkError, ErrorCode, RelayUrl, RelayUrlError};

use super::tls::{ConnectError, Distrust, HttpFailure, Transport, http_failure};
use crate::error::Result;

/// Largest enrollment answer read.
const MAX_ANSWER: usize = 64 * 1024;
/// Time [`enroll`] allows for connecting, asking and reading the answer.
pub const ENROLL_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest relay error code kept from an answer (a code, never free text).
const MAX_CODE_CHARS: usize = 64;

/// What the relay hands a newly enrolled device (the schema's answer type).
pub type Enrollment = wangge_schema::EnrollResponse;

/// Why enrolling failed. Each has a stable [`EnrollError::code`] the UI maps to Chinese
/// text; it reaches the app as [`crate::CoreError::Enroll`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollError {
    /// The relay address is not a usable URL.
    #[error("the relay address is not usable: {0}")]
    BadUrl(#[from] RelayUrlError),
    /// The relay's TLS certificate is not one this device trusts, and why.
    #[error("the relay's certificate is not trusted ({0:?})")]
    Untrusted(Distrust),
    /// The TLS handshake failed otherwise (no TLS at that address).
    #[error("the TLS handshake with the relay failed")]
    TlsFailed,
    /// A typed plain `http://` address of another machine: only an enrollment link that
    /// allows it may use one.
    #[error("plain http:// to another machine needs an enrollment link that allows it")]
    PlainNotAllowed,
    /// Nothing answered at that address (nothing listening, no route, no such host), or
    /// the connection broke before an answer.
    #[error("the relay cannot be reached")]
    Unreachable,
    /// The relay did not answer in time.
    #[error("the relay did not answer in time")]
    Timeout,
    /// The relay does not take this code: unknown, already used or expired (the relay
    /// does not say which, so a guessed code learns nothing).
    #[error("the enrollment code is unknown, used or expired")]
    CodeInvalid,
    /// The relay's storage is failing; trying again later may work.
    #[error("the relay's storage is unavailable; try again later")]
    RelayUnavailable,
    /// The relay refused with another status.
    #[error("the relay refused the enrollment (HTTP {status}, code {code:?})")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The relay's error code, if its answer carried one.
        code: Option<String>,
    },
    /// An answer that is not an enrollment (not HTTP, or a success without the fields).
    #[error("the relay's answer is not an enrollment")]
    BadAnswer,
    /// Too many attempts from this address (HTTP 429): try again after `retry_after`
    /// seconds, when the relay said.
    #[error("too many enrollment attempts; try again later")]
    RateLimited {
        /// The relay's `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// The enrollment link (pasted or scanned) is not usable.
    #[error(transparent)]
    Link(#[from] EnrollLinkError),
    /// The image holds no QR code that could be read.
    #[error("no QR code was found in the image")]
    QrNotFound,
    /// The image file cannot be read: missing, not PNG/WebP/JPEG, broken or too large.
    #[error("the image cannot be read")]
    QrBadImage,
}

impl EnrollError {
    /// The stable code the UI keys its Chinese text on.
    pub fn code(&self) -> ErrorCode {
        match self {
            EnrollError::BadUrl(_) => ErrorCode::EnrollBadUrl,
            EnrollError::Untrusted(why) => match why {
                Distrust::UnknownIssuer => ErrorCode::EnrollTlsUnknownIssuer,
                Distrust::WrongHost => ErrorCode::EnrollTlsWrongHost,
                Distrust::Expired => ErrorCode::EnrollTlsExpired,
                Distrust::NotPinned => ErrorCode::EnrollTlsNotPinned,
                Distrust::Other => ErrorCode::EnrollUntrusted,
            },
            EnrollError::TlsFailed => ErrorCode::EnrollTlsFailed,
            EnrollError::PlainNotAllowed => ErrorCode::EnrollPlainNotAllowed,
            EnrollError::Unreachable => ErrorCode::EnrollUnreachable,
            EnrollError::Timeout => ErrorCode::EnrollTimeout,
            EnrollError::CodeInvalid => ErrorCode::EnrollCodeInvalid,
            EnrollError::RelayUnavailable => ErrorCode::EnrollRelayUnavailable,
            EnrollError::Refused { .. } => ErrorCode::EnrollRefused,
            EnrollError::BadAnswer => ErrorCode::EnrollBadAnswer,
            EnrollError::RateLimited { .. } => ErrorCode::EnrollRateLimited,
            EnrollError::Link(e) => e.code(),
            EnrollError::QrNotFound => ErrorCode::EnrollQrNotFound,
            EnrollError::QrBadImage => ErrorCode::EnrollQrBadImage,
        }
    }

    /// The error for a relay answer with a non-success `status`, `Retry-After` header
    /// `retry_after` and JSON error `body`.
    fn from_answer(status: u16, retry_after: Option<u64>, body: &[u8]) -> Self {
        if status == 429 {
            // The relay's `rate_limited`, its `too_many_connections`, or a proxy's own limit:
            // all mean wait and try again.
            return EnrollError::RateLimited { retry_after };
        }
        let code = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
            .filter(|c| {
                c.len() <= MAX_CODE_CHARS
                    && c.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
        match code.as_deref() {
            Some(codes::ENROLLMENT_CODE_INVALID) => EnrollError::CodeInvalid,
            Some(codes::STORAGE_UNAVAILABLE) => EnrollError::RelayUnavailable,
            // A reverse proxy in front of the relay saying the relay is down or slow
            // (nginx answers 502 when an instance died mid-request): try again later.
            None if matches!(status, 502..=504) => EnrollError::RelayUnavailable,
            _ => EnrollError::Refused { status, code },
        }
    }
}

/// Enrolls this device at the relay `relay_url` (`https://host`, or `http://` to this
/// machine) with a one-time code, trusting the public web roots, allowing
/// [`ENROLL_TIMEOUT`].
pub async fn enroll(relay_url: &str, code: &str) -> Result<Enrollment> {
    enroll_within(relay_url, code, ENROLL_TIMEOUT).await
}

/// [`enroll`] allowing `within` for the whole exchange.
pub async fn enroll_within(relay_url: &str, code: &str, within: Duration) -> Result<Enrollment> {
    enroll_with(relay_url, code, &Transport::default(), within).await
}

/// [`enroll`] on `transport` (what the enrollment link trusts), allowing `within`.
pub async fn enroll_with(
    relay_url: &str,
    code: &str,
    transport: &Transport,
    within: Duration,
) -> Result<Enrollment> {
    Ok(try_enroll(relay_url, code, transport, within).await?)
}

fn failure(e: &reqwest::Error) -> EnrollError {
    match http_failure(e) {
        HttpFailure::ConnectTimeout | HttpFailure::Timeout => EnrollError::Timeout,
        HttpFailure::Untrusted(why) => EnrollError::Untrusted(why),
        HttpFailure::Handshake => EnrollError::TlsFailed,
        HttpFailure::NotHttp => EnrollError::BadAnswer,
        HttpFailure::Unreachable | HttpFailure::Dropped => EnrollError::Unreachable,
    }
}

async fn try_enroll(
    relay_url: &str,
    code: &str,
    transport: &Transport,
    within: Duration,
) -> std::result::Result<Enrollment, EnrollError> {
    let url = RelayUrl::parse(relay_url)?;
    transport.permits(&url).map_err(|e| match e {
        ConnectError::PlainNotAllowed => EnrollError::PlainNotAllowed,
        _ => EnrollError::Unreachable,
    })?;
    let body = serde_json::to_string(&EnrollRequest {
        code: code.to_owned(),
        device_label: None,
    })
    .map_err(|_| EnrollError::BadAnswer)?;
    let client = transport.http(within).map_err(|_| EnrollError::TlsFailed)?;
    let work = async {
        let mut resp = client
            .post(url.endpoint(ENROLL_PATH))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| failure(&e))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|_| EnrollError::BadAnswer)? {
            if bytes.len() + chunk.len() > MAX_ANSWER {
                return Err(EnrollError::BadAnswer);
            }
            bytes.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(EnrollError::from_answer(
                status.as_u16(),
                retry_after,
                &bytes,
            ));
        }
        serde_json::from_slice::<Enrollment>(&bytes).map_err(|_| EnrollError::BadAnswer)
    };
    timeout(within, work)
        .await
        .map_err(|_| EnrollError::Timeout)?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CoreError;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A server on loopback that reads a request and answers `answer` (bytes as given),
    /// once; `None` never answers.
    async fn fake_relay(answer: Option<&'static str>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 4096];
            let _ = tcp.read(&mut buf).await;
            match answer {
                Some(a) => {
                    let _ = tcp.write_all(a.as_bytes()).await;
                    let _ = tcp.shutdown().await;
                }
                None => tokio::time::sleep(Duration::from_secs(30)).await,
            }
        });
        format!("http://{addr}")
    }

    fn json(status: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        )
    }

    async fn code_of(url: &str) -> &'static str {
        match enroll_within(url, "ABCD-EFGH", Duration::from_millis(500)).await {
            Err(CoreError::Enroll(e)) => e.code().code(),
            other => panic!("expected an enrollment error, got {other:?}"),
        }
    }

    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }

    #[tokio::test]
    async fn addresses_this_device_may_not_use_are_refused_before_any_connection() {
        assert_eq!(code_of("").await, "enroll_bad_url");
        assert_eq!(code_of("ftp://relay.example").await, "enroll_bad_url");
        assert_eq!(
            code_of("http://relay.example").await,
            "enroll_plain_not_allowed",
            "a typed plain address of another machine"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_and_silence_is_a_timeout() {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        assert_eq!(code_of(&url).await, "enroll_unreachable");
        assert_eq!(code_of(&fake_relay(None).await).await, "enroll_timeout");
    }

    #[tokio::test]
    async fn the_relay_error_codes_map_to_their_own_errors() {
        let invalid = json(
            "403 Forbidden",
            r#"{"code":"enrollment_code_invalid","message":"no"}"#,
        );
        assert_eq!(
            code_of(&fake_relay(Some(leak(invalid))).await).await,
            "enroll_code_invalid"
        );
        let storage = json(
            "503 Service Unavailable",
            r#"{"code":"storage_unavailable","message":"later"}"#,
        );
        assert_eq!(
            code_of(&fake_relay(Some(leak(storage))).await).await,
            "enroll_relay_unavailable"
        );
        let proxy = "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: 11\r\n\
                     connection: close\r\n\r\nBad Gateway";
        assert_eq!(
            code_of(&fake_relay(Some(proxy)).await).await,
            "enroll_relay_unavailable",
            "a proxy's 502 without our code means: try again later"
        );
        let busy = json(
            "429 Too Many Requests",
            r#"{"code":"too_many_connections","message":"slow down"}"#,
        );
        let url = fake_relay(Some(leak(busy))).await;
        match enroll_within(&url, "x", Duration::from_secs(5)).await {
            Err(CoreError::Enroll(e @ EnrollError::RateLimited { retry_after: None })) => {
                assert_eq!(e.code(), "enroll_rate_limited");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn answers_that_are_not_an_enrollment_say_so() {
        let not_json = json("200 OK", "<html>welcome</html>");
        assert_eq!(
            code_of(&fake_relay(Some(leak(not_json))).await).await,
            "enroll_bad_answer"
        );
        assert_eq!(
            code_of(&fake_relay(Some("SSH-2.0-OpenSSH_9.6\r\n")).await).await,
            "enroll_bad_answer"
        );
        // An error body whose code is free text keeps no code.
        let odd = json("418 I'm a teapot", r#"{"code":"名字 and more"}"#);
        let url = fake_relay(Some(leak(odd))).await;
        match enroll_within(&url, "x", Duration::from_secs(5)).await {
            Err(CoreError::Enroll(EnrollError::Refused { status, code })) => {
                assert_eq!((status, code), (418, None));
            }
            other => panic!("{other:?}"),
        }
    }
}
