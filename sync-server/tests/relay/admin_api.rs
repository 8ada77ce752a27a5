//! The admin API on a real relay: who may call it (chief leaders and centres, inside what
//! they govern), that each action does what the command line does, and that every action
//! is in the log with who did it, and nothing refused is.

use std::time::Duration;

use serde_json::{Value, json};
use wangge_relay::admin::{self, AdminActor, AdminOp};

use crate::helpers::*;

async fn act(relay: &TestRelay, token: &str, body: Value) -> (u16, Value) {
    let (status, text) = http_as(relay.addr, token, "POST", "/v1/admin", &body.to_string()).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn log(relay: &TestRelay, token: &str) -> (u16, Value) {
    let (status, text) = http_as(relay.addr, token, "GET", "/v1/admin/log?limit=50", "").await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn actions(log: &Value) -> Vec<(String, String)> {
    log.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn only_chief_leaders_and_centres_administer_and_only_inside_their_division() {
    let relay = spawn_relay().await;
    let member = relay.device("member", &[GRID_A]).await;
    let leader = relay.device("leader", &[GRID_A, GRID_B]).await;
    let chief = relay.device("chief-leader", &[COMMUNITY]).await;
    let other_chief = relay.device("chief-leader", &[OTHER_COMMUNITY]).await;
    let centre = relay.device("centre", &[STREET]).await;
    let token = |d: &Device| d.enrolled.token.clone();
    let new_grid = json!({"op": "add_grid", "code": "110105001001003", "name": "三网格"});

    // No token, a member, a leader: refused, nothing done.
    let (status, _) = http(relay.addr, "POST", "/v1/admin", &new_grid.to_string()).await;
    assert_eq!(status, 401);
    for d in [&member, &leader] {
        let (status, body) = act(&relay, &token(d), new_grid.clone()).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["code"], "admin_forbidden");
        let (status, _) = log(&relay, &token(d)).await;
        assert_eq!(status, 403);
    }
    // The other community's chief: outside.
    let (status, body) = act(&relay, &token(&other_chief), new_grid.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("outside"),
        "{body}"
    );
    let grid_c3 = wangge_schema::ScopeCode::parse("110105001001003").unwrap();
    assert!(!relay.with_store(|s| s.grid_exists(&grid_c3).unwrap()));

    // The community's chief: its grid, a member for it, a code that enrolls.
    let (status, body) = act(&relay, &token(&chief), new_grid.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(relay.with_store(|s| s.grid_exists(&grid_c3).unwrap()));
    let (status, body) = act(&relay, &token(&chief), new_grid.clone()).await;
    assert_eq!(status, 409, "a grid is added once: {body}");
    let (status, body) = act(
        &relay,
        &token(&chief),
        json!({"op": "add_user", "name": "测试新人", "role": "member", "scopes": ["110105001001003"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let user = body["user"].as_str().unwrap().to_owned();
    let (status, body) = act(
        &relay,
        &token(&other_chief),
        json!({"op": "enroll_code", "user": user}),
    )
    .await;
    assert_eq!(status, 403, "another community's member: {body}");
    let (status, body) = act(
        &relay,
        &token(&chief),
        json!({"op": "enroll_code", "user": user, "ttl_hours": 2}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let code = body["enrollment_code"]["code"].as_str().unwrap().to_owned();
    let (status, enrolled) = relay
        .post_enroll(&json!({"code": code, "device_label": "phone"}).to_string())
        .await;
    assert_eq!(status, 200, "the code enrolls: {enrolled}");
    let enrolled: Value = serde_json::from_str(&enrolled).unwrap();
    assert_eq!(enrolled["scopes"], json!(["110105001001003"]));
    let new_device = enrolled["device_id"].as_str().unwrap().to_owned();
    let new_token = enrolled["token"].as_str().unwrap().to_owned();

    // A chief leader creates no divisions (nothing lies below a community); a centre
    // does, below its street only.
    let (status, _) = act(
        &relay,
        &token(&chief),
        json!({"op": "add_division", "code": "110105001009", "name": "x"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = act(
        &relay,
        &token(&centre),
        json!({"op": "add_division", "code": "110105001009", "name": "新社区"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = act(
        &relay,
        &token(&centre),
        json!({"op": "add_division", "code": "110105002009", "name": "x"}),
    )
    .await;
    assert_eq!(status, 403, "another street");

    // Bad bodies: a clear 400 naming what is wrong.
    let (status, body) = act(&relay, &token(&chief), json!({"op": "drop_tables"})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = act(
        &relay,
        &token(&chief),
        json!({"op": "add_grid", "code": "110105001001000", "name": "x"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_grid_code");

    // Revoking the new phone: refused outside, done inside; the token stops working.
    let revoke = json!({"op": "revoke_device", "device": new_device});
    let (status, _) = act(&relay, &token(&other_chief), revoke.clone()).await;
    assert_eq!(status, 403);
    let (status, body) = act(&relay, &token(&chief), revoke.clone()).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = log(&relay, &new_token).await;
    assert_eq!(status, 401, "a revoked device's token is refused");
    let (status, _) = act(&relay, &token(&chief), revoke).await;
    assert_eq!(status, 404, "revoked already");

    // The log: what was done inside each division, newest first, by whom; nothing refused.
    let (status, chief_log) = log(&relay, &token(&chief)).await;
    assert_eq!(status, 200, "{chief_log}");
    assert_eq!(
        actions(&chief_log),
        vec![
            ("revoke_device".to_owned(), new_device.clone()),
            ("enroll_code".to_owned(), user.clone()),
            ("add_user".to_owned(), user.clone()),
            ("add_grid".to_owned(), "110105001001003".to_owned()),
        ]
    );
    for e in chief_log.as_array().unwrap() {
        assert_eq!(
            e["user"].as_str(),
            Some(chief.enrolled.user_id.to_string().as_str())
        );
        assert_eq!(
            e["device"].as_str(),
            Some(chief.enrolled.device_id.to_string().as_str())
        );
        assert!(!e.to_string().contains("测试新人"), "no names in the log");
    }
    let (_, centre_log) = log(&relay, &token(&centre)).await;
    let mut expected = actions(&chief_log);
    expected.insert(1, ("add_division".to_owned(), "110105001009".to_owned()));
    assert_eq!(
        actions(&centre_log),
        expected,
        "the street sees its community's actions and its own"
    );
    let (_, other_log) = log(&relay, &token(&other_chief)).await;
    assert!(actions(&other_log).is_empty(), "{other_log}");
    relay.stop().await;
}

#[tokio::test]
async fn a_household_moved_through_the_api_follows_its_new_grid_and_the_command_line_is_logged() {
    let relay = spawn_relay().await;
    let chief = relay.device("chief-leader", &[COMMUNITY]).await;
    let other_centre = relay.device("centre", &[OTHER_STREET]).await;
    let mut a = relay.device("member", &[GRID_A]).await;
    let doc = a.create_doc("household", GRID_A);
    a.connect().await.unwrap();
    a.sync().await;
    a.disconnect().await;

    let mv = json!({"op": "move_household", "doc": doc.to_string(), "to": GRID_B});
    let (status, _) = act(&relay, &other_centre.enrolled.token, mv.clone()).await;
    assert_eq!(status, 403, "a household of another street");
    let (status, body) = act(&relay, &chief.enrolled.token, mv).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = act(
        &relay,
        &chief.enrolled.token,
        json!({"op": "move_household", "doc": doc.to_string(), "to": GRID_C}),
    )
    .await;
    assert_eq!(status, 403, "into another community's grid");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut b = relay.device("member", &[GRID_B]).await;
    b.connect().await.unwrap();
    b.sync().await;
    assert_eq!(b.get(doc, "scope").as_deref(), Some(GRID_B));

    // The command line goes through the same entry and is logged as itself.
    relay.with_store(|s| {
        admin::perform(
            s,
            &AdminActor::Cli,
            AdminOp::AddGrid {
                code: "110105001001009".into(),
                name: "九网格".into(),
            },
        )
        .unwrap()
    });
    let (_, entries) = log(&relay, &chief.enrolled.token).await;
    let entries = entries.as_array().unwrap().clone();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["action"], "add_grid");
    assert_eq!(entries[0]["user"], Value::Null, "by the command line");
    assert_eq!(entries[1]["action"], "move_household");
    assert_eq!(
        entries[1]["scope"], COMMUNITY,
        "logged where both grids are"
    );
    relay.stop().await;
}
