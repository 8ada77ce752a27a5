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

    let https = format!("https://{}", relay.addr);
    let e = enroll_error(enroll(&https, &code).await);
    assert_eq!(e.code(), "enroll_tls_unsupported");
    relay.stop().await;
}
