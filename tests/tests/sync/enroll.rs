//! Enrollment failures tell a wrong code from an unreachable relay, against the real relay.

use std::time::Duration;

use wangge_core::CoreError;
use wangge_core::sync::{EnrollError, enroll, enroll_within};
use wangge_relay::admin;

use crate::helpers::*;

fn enroll_error(r: wangge_core::Result<wangge_core::sync::Enrollment>) -> EnrollError {
    match r {
        Err(CoreError::Enroll(e)) => e,
        other => panic!("expected an enrollment error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_used_code_is_code_invalid_and_a_closed_port_is_unreachable() {
    let relay = spawn_relay().await;
    let e = enroll_error(enroll(&relay.url(), "WRONG-CODE-0000").await);
    assert_eq!(e, EnrollError::CodeInvalid);
    assert_eq!(e.code(), "enroll_code_invalid");

    let code = {
        let mut s = relay.store();
        let user = admin::add_user(s.as_mut(), "测试用户", "member", &[GRID_A.to_owned()]).unwrap();
        admin::enroll_code(s.as_mut(), user, 1)
            .unwrap()
            .expose()
            .to_owned()
    };
    enroll(&relay.url(), &code).await.unwrap();
    let used = enroll_error(enroll(&relay.url(), &code).await);
    assert_eq!(used, EnrollError::CodeInvalid, "a used code");

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let e = enroll_error(enroll_within(&url, &code, Duration::from_secs(5)).await);
    assert_eq!(e, EnrollError::Unreachable);
    assert_eq!(e.code(), "enroll_unreachable");

    // https:// to a relay that speaks plain HTTP: a failed handshake, said as such.
    let https = format!("https://{}", relay.addr);
    let e = enroll_error(enroll(&https, &code).await);
    assert_eq!(e.code(), "enroll_tls_failed");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relays_qr_code_reads_back_as_the_same_link_and_enrolls() {
    let relay = spawn_relay().await;
    let code = {
        let mut s = relay.store();
        let user = admin::add_user(s.as_mut(), "测试用户", "member", &[GRID_A.to_owned()]).unwrap();
        admin::enroll_code(s.as_mut(), user, 1)
            .unwrap()
            .expose()
            .to_owned()
    };
    let link = admin::link::enrollment_link(&relay.url(), &code, &[], None, false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("enroll.png");
    std::fs::write(&path, admin::qr::png(&link.encode()).unwrap()).unwrap();

    let read = wangge_core::sync::read_enroll_qr(&path).unwrap();
    assert_eq!(read, link);
    assert_eq!(read.relay.base(), relay.url());
    assert_eq!(read.code, code);
    // A link with pins survives the picture too.
    let pinned = admin::link::enrollment_link(
        "https://relay.example.cn/wangge",
        &code,
        &["A".repeat(43), format!("{}w", "_".repeat(42))],
        None,
        false,
    )
    .unwrap();
    let png = admin::qr::png(&pinned.encode()).unwrap();
    assert_eq!(
        wangge_core::sync::read_enroll_qr_bytes(&png).unwrap(),
        pinned
    );

    let pasted = wangge_core::sync::read_enroll_link(&format!("\n {}\t\n", link.encode())).unwrap();
    let enrolled = wangge_core::sync::enroll_with_link(&pasted).await.unwrap();
    assert_eq!(enrolled.scopes.len(), 1);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_attempts_are_rate_limited_with_the_relays_wait() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("relay.db").display());
    let relay = start_relay_with(
        &database,
        wangge_relay::config::PhotosConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
        |c| {
            c.limits.enroll_attempts = 3;
            c.limits.enroll_window_seconds = 60;
        },
    )
    .await;
    for _ in 0..3 {
        let e = enroll_error(enroll(&relay.url(), "WRONG-CODE-0000").await);
        assert_eq!(e, EnrollError::CodeInvalid);
    }
    let e = enroll_error(enroll(&relay.url(), "WRONG-CODE-0000").await);
    match &e {
        EnrollError::RateLimited {
            retry_after: Some(wait),
        } => assert!((1..=20).contains(wait), "{wait}"),
        other => panic!("expected a rate limit, got {other:?}"),
    }
    assert_eq!(e.code(), "enroll_rate_limited");
    relay.stop().await;
}
