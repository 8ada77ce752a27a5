//! `POST /v1/enroll`: trade a one-time code for a device token (plain HTTP/1.1 via hyper;
//! TLS is for the reverse proxy in front of the relay and a later change here).

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::error::{CoreError, Result};

/// Largest enrollment answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// What the relay hands a newly enrolled device.
#[derive(Clone, Deserialize)]
pub struct Enrollment {
    /// This device.
    pub device_id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// The `senderId` this device uses in `join`.
    pub peer_id: String,
    /// The relay's peer id.
    pub relay_peer_id: String,
    /// The device token (keep it in the OS keystore; never log it).
    pub token: String,
    /// The user's role.
    pub role: String,
    /// The grid or division codes the user may read.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("device_id", &self.device_id)
            .field("peer_id", &self.peer_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

fn net(what: &str) -> CoreError {
    CoreError::Document(format!("enrollment failed: {what}"))
}

/// Enrolls this device at the relay `relay_url` (`http://host:port`) with a one-time code.
pub async fn enroll(relay_url: &str, code: &str) -> Result<Enrollment> {
    let rest = relay_url
        .strip_prefix("http://")
        .or_else(|| relay_url.strip_prefix("ws://"))
        .ok_or_else(|| net("only http:// relay URLs are supported"))?;
    let authority = rest.split('/').next().unwrap_or(rest).to_owned();
    let body = serde_json::json!({ "code": code }).to_string();
    let work = async {
        let tcp = TcpStream::connect(&authority)
            .await
            .map_err(|_| net("connect"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|_| net("handshake"))?;
        let driver = tokio::spawn(conn);
        let req = hyper::Request::post("/v1/enroll")
            .header("host", authority.as_str())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| net("request"))?;
        let resp = sender.send_request(req).await.map_err(|_| net("send"))?;
        let status = resp.status();
        let bytes = Limited::new(resp.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|_| net("read"))?
            .to_bytes();
        driver.abort();
        if !status.is_success() {
            let code = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
                .unwrap_or_else(|| status.as_u16().to_string());
            return Err(net(&code));
        }
        serde_json::from_slice::<Enrollment>(&bytes).map_err(|_| net("bad answer"))
    };
    timeout(Duration::from_secs(30), work)
        .await
        .map_err(|_| net("timeout"))?
}
