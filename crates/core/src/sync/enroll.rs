//! `POST /v1/enroll`: trade a one-time code for a device token (plain HTTP/1.1 via hyper;
//! TLS is for the reverse proxy in front of the relay and a later change here).

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::timeout;
use wangge_schema::RelayUrl;
use wangge_schema::enroll::{ENROLL_PATH, EnrollRequest};

use crate::error::{CoreError, Result};

/// Largest enrollment answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// What the relay hands a newly enrolled device (the schema's answer type).
pub type Enrollment = wangge_schema::EnrollResponse;

fn net(what: &str) -> CoreError {
    CoreError::Document(format!("enrollment failed: {what}"))
}

/// Enrolls this device at the relay `relay_url` (`http://host:port`) with a one-time code.
pub async fn enroll(relay_url: &str, code: &str) -> Result<Enrollment> {
    let url = RelayUrl::parse(relay_url).map_err(|e| net(&e.to_string()))?;
    if url.is_tls() {
        return Err(net("only http:// relay URLs are supported"));
    }
    let authority = url.authority();
    let path = url.path(ENROLL_PATH);
    let body = serde_json::to_string(&EnrollRequest {
        code: code.to_owned(),
        device_label: None,
    })
    .map_err(|_| net("request"))?;
    let work = async {
        let tcp = TcpStream::connect(&authority)
            .await
            .map_err(|_| net("connect"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|_| net("handshake"))?;
        let driver = tokio::spawn(conn);
        let req = hyper::Request::post(path.as_str())
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
