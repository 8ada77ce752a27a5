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
