use crate::helpers::*;

#[tokio::test]
async fn healthz_answers_ok() {
    let relay = spawn_relay().await;
    let (status, body) = http(relay.addr, "GET", "/healthz", "").await;
    assert_eq!(status, 200, "{body}");
    relay.stop().await;
}

#[tokio::test]
async fn an_enrollment_code_is_single_use_and_returns_role_and_scopes() {
    let relay = spawn_relay().await;
    let code = relay.user_code("leader", &[GRID_A, GRID_B]);
    let typed = code.to_lowercase();
    let (status, body) = relay
        .post_enroll(&format!("{{\"code\":\"{typed}\"}}"))
        .await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["role"], "leader");
    assert_eq!(v["scopes"], serde_json::json!([GRID_A, GRID_B]));
    assert!(v["token"].as_str().unwrap().starts_with("wgt_"));
    assert!(v["peer_id"].as_str().unwrap().starts_with("device-"));
    let (again, body) = relay.post_enroll(&format!("{{\"code\":\"{code}\"}}")).await;
    assert_eq!(again, 401, "{body}");
    assert!(body.contains("enrollment_code_invalid"));
    relay.stop().await;
}

#[tokio::test]
async fn bad_enroll_bodies_are_refused_with_a_code() {
    let relay = spawn_relay().await;
    let (status, body) = relay.post_enroll("not json").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("bad_request"));
    let (status, _) = relay.post_enroll("{\"code\":\"AAAA-BBBB-CCCC\"}").await;
    assert_eq!(status, 401);
    let huge = format!("{{\"code\":\"{}\"}}", "A".repeat(10_000));
    let (status, _) = relay.post_enroll(&huge).await;
    assert_eq!(status, 413);
    relay.stop().await;
}

/// `POST /v1/enroll` from the local address `from` with extra header lines; returns the
/// whole answer (status line, headers, body).
async fn enroll_from(relay: std::net::SocketAddr, from: &str, headers: &str, code: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut s = socket.connect(relay).await.unwrap();
    let body = format!("{{\"code\":\"{code}\"}}");
    let req = format!(
        "POST /v1/enroll HTTP/1.1\r\nHost: {relay}\r\n{headers}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

fn status(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn retry_after(answer: &str) -> Option<u64> {
    answer
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn the_eleventh_attempt_in_a_minute_from_one_address_is_told_to_wait() {
    let relay = spawn_relay_with(|c| {
        c.limits.enroll_attempts = 10;
        c.limits.enroll_window_seconds = 60;
    })
    .await;
    let good = relay.user_code("member", &[GRID_A]);
    for i in 0..10 {
        let answer = enroll_from(relay.addr, "127.0.0.1", "", "AAAA-BBBB-CCCC").await;
        assert_eq!(status(&answer), 401, "attempt {i}: {answer}");
    }
    let answer = enroll_from(relay.addr, "127.0.0.1", "", &good).await;
    assert_eq!(status(&answer), 429, "{answer}");
    assert!(answer.contains("\"code\":\"rate_limited\""), "{answer}");
    let wait = retry_after(&answer).expect("Retry-After");
    assert!(
        (1..=6).contains(&wait),
        "one attempt comes back every 6 s: {wait}"
    );
    // Another address has its own attempts: the good code still works from there.
    let answer = enroll_from(relay.addr, "127.0.0.2", "", &good).await;
    assert_eq!(status(&answer), 200, "{answer}");
    relay.stop().await;
}

#[tokio::test]
async fn after_the_wait_the_same_address_enrolls_again() {
    let relay = spawn_relay_with(|c| {
        c.limits.enroll_attempts = 2;
        c.limits.enroll_window_seconds = 2;
    })
    .await;
    let good = relay.user_code("member", &[GRID_A]);
    for _ in 0..2 {
        let answer = enroll_from(relay.addr, "127.0.0.1", "", "AAAA-BBBB-CCCC").await;
        assert_eq!(status(&answer), 401, "{answer}");
    }
    let answer = enroll_from(relay.addr, "127.0.0.1", "", &good).await;
    assert_eq!(status(&answer), 429, "{answer}");
    let wait = retry_after(&answer).expect("Retry-After");
    assert_eq!(wait, 1, "one attempt back per second");
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let answer = enroll_from(relay.addr, "127.0.0.1", "", &good).await;
    assert_eq!(status(&answer), 200, "{answer}");
    relay.stop().await;
}

#[tokio::test]
async fn forwarded_for_counts_clients_only_behind_a_trusted_proxy() {
    let xff = |ip: &str| format!("X-Forwarded-For: {ip}\r\n");
    // Not trusted: the header is ignored and every attempt counts against 127.0.0.1.
    let relay = spawn_relay_with(|c| c.limits.enroll_attempts = 2).await;
    for ip in ["203.0.113.1", "203.0.113.2"] {
        let answer = enroll_from(relay.addr, "127.0.0.1", &xff(ip), "AAAA-BBBB").await;
        assert_eq!(status(&answer), 401, "{answer}");
    }
    let answer = enroll_from(relay.addr, "127.0.0.1", &xff("203.0.113.3"), "AAAA-BBBB").await;
    assert_eq!(
        status(&answer),
        429,
        "a client cannot choose its address: {answer}"
    );
    relay.stop().await;

    // 127.0.0.1 is the proxy: each forwarded client has its own attempts.
    let relay = spawn_relay_with(|c| {
        c.limits.enroll_attempts = 2;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for _ in 0..2 {
        let answer = enroll_from(relay.addr, "127.0.0.1", &xff("203.0.113.1"), "AAAA").await;
        assert_eq!(status(&answer), 401, "{answer}");
    }
    let answer = enroll_from(relay.addr, "127.0.0.1", &xff("203.0.113.1"), "AAAA").await;
    assert_eq!(status(&answer), 429, "{answer}");
    let answer = enroll_from(relay.addr, "127.0.0.1", &xff("203.0.113.2"), "AAAA").await;
    assert_eq!(
        status(&answer),
        401,
        "another client behind the proxy: {answer}"
    );
    // A client that is not the proxy cannot claim to be forwarded.
    for _ in 0..2 {
        let answer = enroll_from(relay.addr, "127.0.0.3", &xff("203.0.113.9"), "AAAA").await;
        assert_eq!(status(&answer), 401, "{answer}");
    }
    let answer = enroll_from(relay.addr, "127.0.0.3", &xff("203.0.113.10"), "AAAA").await;
    assert_eq!(status(&answer), 429, "{answer}");
    relay.stop().await;
}
