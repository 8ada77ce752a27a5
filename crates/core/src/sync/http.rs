//! The HTTP client of the photo transfers (reqwest on the engine's TLS configuration,
//! HTTP/1.1 keep-alive): one [`Conn`] carries a transfer pass's requests, each with the
//! device token.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use wangge_schema::RelayUrl;

use super::LinkError;
use super::tls::{HttpFailure, Transport, http_failure};

/// Request bodies and answers.
pub(super) type Bytes = bytes::Bytes;

/// The relay's address from its base URL (any form [`RelayUrl`] takes), or why this
/// client cannot reach it with `transport` (a plain link to another machine the
/// enrollment did not allow).
pub(super) fn relay(base: &str, transport: &Transport) -> Result<RelayUrl, LinkError> {
    let url = RelayUrl::parse(base).map_err(|_| LinkError::BadUrl)?;
    transport.permits(&url)?;
    Ok(url)
}

/// A response, its body read whole (within a limit).
pub(super) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    }

    /// A header holding a byte count.
    pub fn number(&self, name: &str) -> Option<u64> {
        self.header(name).and_then(|v| v.parse().ok())
    }

    /// The `code` of a JSON error body, if any.
    pub fn code(&self) -> Option<String> {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()?
            .get("code")?
            .as_str()
            .map(str::to_owned)
    }
}

/// The photo transfers' client for one pass. Dropping it closes its connections.
pub(super) struct Conn {
    client: reqwest::Client,
    /// `scheme://host[:port]`: paths are absolute (the relay's prefix included).
    origin: String,
    bearer: String,
}

/// A photo transfer's failure code.
fn photo_code(e: &reqwest::Error) -> &'static str {
    match http_failure(e) {
        HttpFailure::ConnectTimeout => "photo_connect_timeout",
        HttpFailure::Timeout => "photo_timeout",
        HttpFailure::Untrusted(why) => LinkError::Untrusted(why).code(),
        HttpFailure::Handshake => "tls_failed",
        HttpFailure::Unreachable => "photo_connect_failed",
        HttpFailure::NotHttp | HttpFailure::Dropped => "photo_link_dropped",
    }
}

impl Conn {
    /// A client for `relay` (already checked by [`relay`]) on `transport`, connecting
    /// within `within`.
    pub fn open(
        relay: &RelayUrl,
        transport: &Transport,
        token: &str,
        within: Duration,
    ) -> Result<Self, &'static str> {
        let client = transport.http(within).map_err(|_| "tls_failed")?;
        let base = relay.base();
        let origin = base
            .strip_suffix(relay.prefix())
            .unwrap_or(&base)
            .to_owned();
        Ok(Self {
            client,
            origin,
            bearer: format!("Bearer {token}"),
        })
    }

    /// Sends one request and reads the answer (at most `max_body` bytes of body) within
    /// `within`. A link that fails is `photo_link_dropped` (or what the failure says).
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Bytes,
        max_body: usize,
        within: Duration,
    ) -> Result<Answer, &'static str> {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.origin))
            .header("authorization", self.bearer.as_str())
            .timeout(within);
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        let mut resp = req.body(body).send().await.map_err(|e| photo_code(&e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let mut got = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| photo_code(&e))? {
            if got.len() + chunk.len() > max_body {
                return Err("photo_link_dropped");
            }
            got.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body: Bytes::from(got),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_comes_from_the_usual_base_urls() {
        for base in [
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/",
            "ws://127.0.0.1:8080/v1/sync",
        ] {
            assert_eq!(
                relay(base, &Transport::default()).map(|u| u.authority()),
                Ok("127.0.0.1:8080".to_owned())
            );
        }
        let t = Transport::default();
        assert!(relay("https://relay.example", &t).is_ok_and(|u| u.is_tls()));
        assert_eq!(
            relay("http://relay.example", &t),
            Err(LinkError::PlainNotAllowed),
            "plain to another machine only when the enrollment allows it"
        );
        let allowed = Transport::new(&wangge_schema::enroll_link::TrustAnchor::System, true);
        assert!(relay("http://10.1.2.3:8080", &allowed).is_ok());
        assert_eq!(relay("http://", &t), Err(LinkError::BadUrl));
    }
}
