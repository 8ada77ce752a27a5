//! A small HTTP/1.1 client connection to the relay (hyper, like enrollment): one
//! keep-alive connection carries a transfer pass's requests, each with the device token.
//! Plain `http://` only; TLS belongs to the reverse proxy in front of the relay for now.

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::HeaderMap;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use wangge_schema::RelayUrl;

use super::LinkError;

/// The relay's address from its base URL (any form [`RelayUrl`] takes), or why this
/// client cannot reach it.
pub(super) fn relay(base: &str) -> Result<RelayUrl, LinkError> {
    let url = RelayUrl::parse(base).map_err(|_| LinkError::BadUrl)?;
    if url.is_tls() {
        return Err(LinkError::TlsUnsupported);
    }
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

/// One open connection. Dropping it closes the connection.
pub(super) struct Conn {
    sender: SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
    authority: String,
    bearer: String,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl Conn {
    /// Connects to `authority` within `within`.
    pub async fn open(
        authority: &str,
        token: &str,
        within: Duration,
    ) -> Result<Self, &'static str> {
        let work = async {
            let tcp = TcpStream::connect(authority)
                .await
                .map_err(|_| "photo_connect_failed")?;
            let _ = tcp.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                .await
                .map_err(|_| "photo_connect_failed")?;
            let driver = tokio::spawn(async move {
                let _ = conn.await;
            });
            Ok::<_, &'static str>((sender, driver))
        };
        let (sender, driver) = timeout(within, work)
            .await
            .map_err(|_| "photo_connect_timeout")??;
        Ok(Self {
            sender,
            driver,
            authority: authority.to_owned(),
            bearer: format!("Bearer {token}"),
        })
    }

    /// Sends one request and reads the answer (at most `max_body` bytes of body) within
    /// `within`. Any failure of the link is `photo_link_dropped`.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Bytes,
        max_body: usize,
        within: Duration,
    ) -> Result<Answer, &'static str> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.authority.as_str())
            .header("authorization", self.bearer.as_str());
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        let req = req.body(Full::new(body)).map_err(|_| "bad_request")?;
        let work = async {
            self.sender
                .ready()
                .await
                .map_err(|_| "photo_link_dropped")?;
            let resp = self
                .sender
                .send_request(req)
                .await
                .map_err(|_| "photo_link_dropped")?;
            let status = resp.status().as_u16();
            let (parts, body) = resp.into_parts();
            let body = Limited::new(body, max_body)
                .collect()
                .await
                .map_err(|_| "photo_link_dropped")?
                .to_bytes();
            Ok(Answer {
                status,
                headers: parts.headers,
                body,
            })
        };
        timeout(within, work).await.map_err(|_| "photo_timeout")?
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
                relay(base).map(|u| u.authority()),
                Ok("127.0.0.1:8080".to_owned())
            );
        }
        assert_eq!(
            relay("https://relay.example"),
            Err(LinkError::TlsUnsupported)
        );
        assert_eq!(relay("http://"), Err(LinkError::BadUrl));
    }
}
