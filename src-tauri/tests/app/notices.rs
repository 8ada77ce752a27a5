//! Notices (通知) and receipts (回执) through the commands the notice pages invoke: a
//! street's centre and two members of a grid, each an app enrolled at a real relay on
//! loopback. The notice reaches the members' devices (已送达 written on arrival), one
//! confirms, the centre follows the receipts by name and reminds only the other.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

const STREET: &str = "110105001";

/// What `cmd` answers once `done` holds (synced across), within 20 s.
fn when(app: &TestApp, cmd: &str, args: Value, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    let ok = wait_until(Duration::from_secs(20), || {
        last = match app.invoke(cmd, args.clone()) {
            Ok(v) | Err(v) => v,
        };
        done(&last)
    });
    assert!(ok, "{cmd} never got there: {last}");
    last
}

fn roster_state(detail: &Value, user_name: &str) -> String {
    detail["roster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == user_name)
        .map(|e| e["state"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{user_name} not on the roster: {detail}"))
}

#[test]
fn a_centre_notice_reaches_the_grid_and_its_receipts_come_back_by_name() {
    let rt = runtime();
    let relay = TestRelay::spawn(&rt);
    let a = enrolled_in(&rt, &relay, "网格员甲", "member", GRID);
    let b = enrolled_in(&rt, &relay, "网格员乙", "member", GRID);
    let centre = enrolled_in(&rt, &relay, "指挥中心戊", "centre", STREET);
    // The centre knows the street's people by name (the directory the relay sends it).
    when(&centre, "directory_people", json!({}), |v| {
        v.as_array().is_some_and(|p| p.len() >= 2)
    });
    // A member may not send a notice.
    let draft = json!({
        "sort": "notice", "priority": "critical", "title": "暴雨预警",
        "text": "今晚有暴雨,请排查地下室。", "photos": [], "grids": [],
        "audience": "members", "ack_minutes": null, "person": null,
    });
    let refused = a.refused("send_notice", json!({ "draft": draft }));
    assert_eq!(refused["code"], "invalid", "{refused}");

    let sent = centre.call("send_notice", json!({ "draft": draft }));
    let id = sent["notice"]["id"].as_str().unwrap().to_owned();
    assert_eq!(sent["role"], "sender");
    assert_eq!(sent["counts"]["total"], 2, "{sent}");

    // Both members' devices get it and say so (已送达) without anyone opening it; the
    // 特急 notice asks each to acknowledge it.
    for m in [&a, &b] {
        let rows = when(m, "notices", json!({}), |v| {
            v.as_array()
                .is_some_and(|r| r.len() == 1 && r[0]["mine"] == "delivered")
        });
        assert_eq!(rows[0]["role"], "recipient");
        let ack = m.call("notices_to_acknowledge", json!({}));
        assert_eq!(ack.as_array().unwrap().len(), 1);
    }
    let d = when(&centre, "notice_detail", json!({ "id": id }), |d| {
        d["counts"]["delivered"] == 2
    });
    assert_eq!(d["counts"]["confirmed"], 0);

    // A confirms with a reply; the centre sees it by name, B still open.
    let mine = a.call("confirm_notice", json!({ "id": id, "reply": "已收到" }));
    assert_eq!(mine["mine_state"], "confirmed");
    let d = when(&centre, "notice_detail", json!({ "id": id }), |d| {
        d["counts"]["confirmed"] == 1
    });
    assert_eq!(roster_state(&d, "网格员甲"), "confirmed");
    assert_eq!(roster_state(&d, "网格员乙"), "delivered");

    // 一键催收 reaches only B.
    let reminded = centre.call("remind_notice", json!({ "id": id }));
    assert_eq!(reminded["reminders"], 1);
    when(&b, "notices", json!({}), |v| v[0]["reminded"] == true);
    assert_eq!(a.call("notices", json!({}))[0]["reminded"], false);

    // B confirms; the centre's roster is complete.
    b.call("confirm_notice", json!({ "id": id, "reply": "" }));
    let d = when(&centre, "notice_detail", json!({ "id": id }), |d| {
        d["counts"]["confirmed"] == 2
    });
    assert_eq!(roster_state(&d, "网格员乙"), "confirmed");
    assert!(
        b.call("notices_to_acknowledge", json!({}))
            .as_array()
            .unwrap()
            .is_empty()
    );
}
