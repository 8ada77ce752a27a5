//! `GET /metrics` on a real relay: the counters move with what devices do, need no token,
//! name nobody, and go to their own address when `metrics_listen` is set.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use wangge_relay::admin;

use crate::helpers::*;

/// Every sample of the text exposition: `name{labels}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// `GET /metrics` as the text it is (the shared helper keeps only JSON bodies).
async fn scrape(addr: SocketAddr) -> HashMap<String, f64> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("in time")
        .expect("read");
    let text = String::from_utf8(out).expect("utf-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("chunked"), "{head}");
    samples(body)
}

fn value(m: &HashMap<String, f64>, name: &str) -> f64 {
    m.get(name).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn the_counters_follow_connections_messages_refusals_and_enrollments() {
    let relay = spawn_relay().await;
    let before = scrape(relay.addr).await;
    assert_eq!(value(&before, "wangge_connections"), 0.0);

    let mut a = relay.device("member", &[GRID_A]).await;
    let doc = a.create_doc("household", GRID_A);
    a.edit(doc, "address", "3-2-501");
    a.connect().await.unwrap();
    a.sync().await;
    let during = scrape(relay.addr).await;
    assert_eq!(value(&during, "wangge_connections"), 1.0);
    assert!(
        value(&during, "wangge_messages_in_total") >= 2.0,
        "{during:?}"
    );
    assert!(
        value(&during, "wangge_messages_out_total") >= 2.0,
        "{during:?}"
    );
    assert!(value(&during, "wangge_write_group_seconds_count") >= 1.0);
    assert!(value(&during, "wangge_documents_loaded") >= 1.0);
    assert_eq!(
        value(&during, "wangge_enroll_total{outcome=\"enrolled\"}"),
        1.0
    );
    // A document in another street's grid is refused, and counted.
    a.create_doc("household", GRID_C);
    a.sync().await;
    let refused = scrape(relay.addr).await;
    assert_eq!(value(&refused, "wangge_documents_refused_total"), 1.0);
    a.disconnect().await;

    // A revoked token is refused and counted; a wrong code too.
    let mut store = relay.store();
    assert!(admin::revoke_device(store.as_mut(), a.enrolled.device_id).unwrap());
    let err = a.connect().await.unwrap_err();
    assert!(err.contains("401"), "{err}");
    let (status, _) = relay
        .post_enroll("{\"code\":\"ZZZZ-ZZZZ-ZZZZ\",\"device_label\":\"x\"}")
        .await;
    assert_eq!(status, 401);
    let after = scrape(relay.addr).await;
    assert_eq!(
        value(
            &after,
            "wangge_connections_refused_total{reason=\"token_invalid\"}"
        ),
        1.0
    );
    assert_eq!(
        value(&after, "wangge_enroll_total{outcome=\"refused\"}"),
        1.0
    );
    // Closed connections leave the gauge.
    assert_eq!(value(&after, "wangge_connections"), 0.0);
    relay.stop().await;
}

#[tokio::test]
async fn metrics_can_have_an_address_of_their_own() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let relay = spawn_relay_with(|c| c.metrics_listen = Some(addr)).await;
    let on_own = scrape(addr).await;
    assert!(on_own.contains_key("wangge_connections"), "{on_own:?}");
    let (status, _) = http(relay.addr, "GET", "/metrics", "").await;
    assert_eq!(status, 404, "not on the devices' listener");
    relay.stop().await;
}
