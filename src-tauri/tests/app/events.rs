//! The chain of command through the commands the event page and the to-do list invoke:
//! a member and a grid leader, each an app enrolled at a real relay on loopback, move one
//! report from 上报 to 已结案 and back to the member's list, each step synced across.

use std::time::Duration;

use serde_json::{Value, json};
use tauri::ipc::InvokeResponseBody;

use crate::helpers::*;

fn enrolled(rt: &tokio::runtime::Runtime, relay: &TestRelay, name: &str, role: &str) -> TestApp {
    enrolled_in(rt, relay, name, role, GRID)
}

fn photo(app: &TestApp) -> String {
    match app.invoke_raw("add_photo", camera_jpeg(800, 600)) {
        Ok(InvokeResponseBody::Json(s)) => serde_json::from_str::<Value>(&s).unwrap()["hash"]
            .as_str()
            .unwrap()
            .to_owned(),
        other => panic!("add_photo: {other:?}"),
    }
}

/// The event as `app` sees it once `done` holds (synced across), within 20 s.
fn detail_when(app: &TestApp, report: &Value, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    let ok = wait_until(Duration::from_secs(20), || {
        // Until the report has synced across, the device does not know it.
        match app.invoke("event_detail", json!({ "report": report })) {
            Ok(v) => last = v,
            Err(e) if e["code"] == "not_found" => last = e,
            Err(e) => panic!("event_detail refused: {e}"),
        }
        last.get("state").is_some() && done(&last)
    });
    assert!(ok, "never reached: {last}");
    last
}

fn kinds(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_member_and_a_leader_take_a_report_from_filed_to_closed_over_the_relay() {
    let rt = runtime();
    let relay = TestRelay::spawn(&rt);
    let member = enrolled(&rt, &relay, "测试网格员", "member");
    let leader = enrolled(&rt, &relay, "测试网格长", "leader");

    let info = member.call("app_info", json!({}));
    assert_eq!(
        (&info["party"], &info["mayFile"]),
        (&json!("member"), &json!(true))
    );
    let member_id = info["userId"].as_str().unwrap().to_owned();
    let info = leader.call("app_info", json!({}));
    assert_eq!(info["party"], "leader");
    assert_ne!(info["userId"], json!(member_id));

    let evidence = photo(&member);
    let input = json!({
        "category": "safety_hazard", "severity": "serious", "place": "9栋楼道", "gps": null,
        "description": "楼道堆放杂物,堵塞消防通道", "photos": [evidence],
    });
    let report = member.call("file_report", json!({ "input": input }));
    let mine = member.call("event_detail", json!({ "report": report }));
    assert_eq!(mine["state"], "pending");
    assert_eq!(mine["timeline"][0]["kind"], "file");
    assert!(
        !kinds(&mine["allowed"]).contains(&"accept".to_owned()),
        "{mine}"
    );

    // The member may not accept; the refusal carries its code and nothing is written.
    let err = member.refused(
        "take_step",
        json!({ "report": report, "action": { "kind": "accept", "limit": { "working_days": 5 } } }),
    );
    assert_eq!(
        (&err["code"], &err["refusal"]),
        (&json!("invalid_status"), &json!("role_may_not")),
        "{err}"
    );
    let mine = member.call("event_detail", json!({ "report": report }));
    assert_eq!(mine["timeline"].as_array().unwrap().len(), 1);

    // The leader's to-do list gets it once synced; accepting it starts the handling clock.
    let seen = detail_when(&leader, &report, |d| d["state"] == "pending");
    assert!(
        kinds(&seen["allowed"]).contains(&"accept".to_owned()),
        "{seen}"
    );
    let tasks = leader.call("my_tasks", json!({}));
    assert_eq!(tasks.as_array().unwrap().len(), 1, "{tasks}");
    assert_eq!(
        (&tasks[0]["report"], &tasks[0]["state"]),
        (&report, &json!("pending"))
    );
    assert_eq!(tasks[0]["severity"], "serious");
    assert!(
        tasks[0]["category_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    let accepted = leader.call(
        "take_step",
        json!({ "report": report, "action": { "kind": "accept", "limit": { "working_days": 5 } } }),
    );
    assert_eq!(accepted["state"], "in_progress");
    assert_eq!(accepted["deadline"]["stage"], "handle", "{accepted}");
    let handed = leader.call(
        "take_step",
        json!({ "report": report, "action": { "kind": "hand_over", "member": member_id, "note": "请今天清理" } }),
    );
    assert_eq!(
        handed["assignee"],
        json!({ "kind": "member", "id": member_id })
    );

    // The member finishes it; without an after-photo core refuses.
    detail_when(&member, &report, |d| {
        d["assignee"]["id"] == json!(member_id)
            && kinds(&d["allowed"]).contains(&"finish".to_owned())
    });
    let tasks = member.call("my_tasks", json!({}));
    assert_eq!(tasks[0]["report"], report, "{tasks}");
    let err = member.refused(
        "take_step",
        json!({ "report": report, "action": { "kind": "finish", "note": "已清理", "photos": [] } }),
    );
    assert_eq!(err["refusal"], "missing_photo", "{err}");
    let after = photo(&member);
    let done = member.call(
        "take_step",
        json!({ "report": report, "action": { "kind": "finish", "note": "已清理", "photos": [after] } }),
    );
    assert_eq!(done["state"], "awaiting_check");

    // The leader who accepted it checks it and closes it.
    let check = detail_when(&leader, &report, |d| d["state"] == "awaiting_check");
    assert!(
        kinds(&check["allowed"]).contains(&"verify".to_owned()),
        "{check}"
    );
    let closed = leader.call(
        "take_step",
        json!({ "report": report, "action": { "kind": "verify", "note": "现场已清理" } }),
    );
    assert_eq!(closed["state"], "closed");
    let steps: Vec<Value> = closed["timeline"].as_array().unwrap().clone();
    assert_eq!(
        steps
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["file", "accept", "hand_over", "finish", "verify"]
    );
    assert!(
        steps.iter().all(|s| s["status"]["status"] == "applied"),
        "{closed}"
    );

    // Both devices end with the same history.
    let theirs = detail_when(&member, &report, |d| d["state"] == "closed");
    assert_eq!(theirs["timeline"], closed["timeline"]);

    // The statistics count it on both devices, and export as a workbook.
    // Beijing time has no daylight saving: UTC+8 all year.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let period = json!({
        "from": (today - chrono::Duration::days(30)).to_string(),
        "to": (today + chrono::Duration::days(30)).to_string(),
    });
    let stats = leader.call("event_stats", period.clone());
    let total = &stats["total"]["figures"];
    assert_eq!(
        (&total["reports"], &total["closed"]),
        (&json!(1), &json!(1)),
        "{stats}"
    );
    assert_eq!(
        stats["total"]["closure"],
        json!({ "numerator": 1, "denominator": 1 })
    );
    assert_eq!(stats["byGrid"].as_array().map(Vec::len), Some(1), "{stats}");
    assert_eq!(
        member.call("event_stats", period.clone())["total"],
        stats["total"]
    );
    let file = leader.call("export_stats", period);
    let path = std::path::PathBuf::from(file["path"].as_str().unwrap());
    assert!(
        path.starts_with(leader.state().data_dir().join("exports")),
        "{file}"
    );
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(file["bytes"], json!(bytes.len()));
    assert!(bytes.starts_with(b"PK\x03\x04"), "an xlsx is a zip");
    let backwards = leader.refused(
        "event_stats",
        json!({ "from": today.to_string(), "to": (today - chrono::Duration::days(1)).to_string() }),
    );
    assert_eq!(backwards["fields"][0]["field"], "period", "{backwards}");
}

/// The whole chain over the relay: a member files, the grid leader and the community send
/// it up, the street's centre dispatches it to its 城管 department, which handles it with
/// an after-photo; the centre checks it and the member records the resident's
/// satisfaction. The department's device is given that event and nothing else.
#[test]
fn an_event_goes_up_the_chain_to_a_department_and_back_to_the_resident() {
    let rt = runtime();
    let relay = TestRelay::spawn(&rt);
    let member = enrolled(&rt, &relay, "测试网格员", "member");
    let leader = enrolled(&rt, &relay, "测试网格长", "leader");
    let community = enrolled_in(&rt, &relay, "测试社区", "chief-leader", "110105001001");
    let centre = enrolled_in(&rt, &relay, "测试指挥中心", "centre", "110105001");
    let dept = enrolled_in(&rt, &relay, "测试城管科", "department", DEPARTMENT);
    let info = dept.call("app_info", json!({}));
    assert_eq!(
        (&info["party"], &info["mayFile"]),
        (&json!("department"), &json!(false)),
        "{info}"
    );

    let file = |what: &str| {
        let evidence = photo(&member);
        let input = json!({
            "category": "urban_property", "severity": "serious", "place": "3号路口", "gps": null,
            "description": what, "photos": [evidence],
        });
        member.call("file_report", json!({ "input": input }))
    };
    let evidence = photo(&member);
    let input = json!({
        "category": "urban_property", "severity": "serious", "place": "3号路口", "gps": null,
        "description": "路面塌陷,需要执法部门处理", "photos": [evidence.clone()],
    });
    let report = member.call("file_report", json!({ "input": input }));
    let kept = file("楼道灯不亮");
    // The evidence is up before anyone asks for it (a photo asked for too early is asked
    // for again with a growing backoff, which would only slow this test).
    let up = wait_until(Duration::from_secs(30), || {
        member
            .state()
            .with_store(|s| s.upload_backlog())
            .is_ok_and(|b| b.photos == 0)
    });
    assert!(up, "the member's photos never went up");
    // The centre's directory names the street's department; the department's names itself.
    let named = |app: &TestApp, code: &str| {
        let mut last = Value::Null;
        let ok = wait_until(Duration::from_secs(20), || {
            last = app.call("directory", json!({}));
            last.as_array()
                .is_some_and(|l| l.iter().any(|u| u["code"] == code))
        });
        assert!(ok, "{code} not in the directory: {last}");
        last
    };
    let units = named(&centre, DEPARTMENT);
    let cgj = units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == DEPARTMENT);
    assert_eq!(
        cgj,
        Some(&json!({ "code": DEPARTMENT, "name": "城管科", "kind": "department" }))
    );
    assert!(
        units
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["code"] == GRID && u["kind"] == "grid")
    );
    let own = named(&dept, DEPARTMENT);
    assert_eq!(own.as_array().map(Vec::len), Some(1), "{own}");
    let step = |app: &TestApp, action: Value| {
        app.call("take_step", json!({ "report": report, "action": action }))
    };

    detail_when(&leader, &report, |d| {
        kinds(&d["allowed"]).contains(&"escalate".to_owned())
    });
    let up = step(&leader, json!({ "kind": "escalate", "note": "需要执法" }));
    assert_eq!(
        (&up["state"], &up["level"]),
        (&json!("pending"), &json!("community"))
    );
    detail_when(&community, &report, |d| d["level"] == "community");
    step(
        &community,
        json!({ "kind": "escalate", "note": "社区无执法权" }),
    );
    detail_when(&centre, &report, |d| {
        d["level"] == "centre" && kinds(&d["allowed"]).contains(&"dispatch".to_owned())
    });
    let sent = step(
        &centre,
        json!({ "kind": "dispatch", "to": { "kind": "department", "id": DEPARTMENT },
                "limit": { "working_days": 5 }, "note": "请城管处理" }),
    );
    assert_eq!(sent["state"], "in_progress", "{sent}");

    // The department gets the event, with its report and photo, and nothing else.
    let given = detail_when(&dept, &report, |d| {
        kinds(&d["allowed"]).contains(&"finish".to_owned())
    });
    assert_eq!(
        given["assignee"],
        json!({ "kind": "department", "id": DEPARTMENT })
    );
    let tasks = dept.call("my_tasks", json!({}));
    assert_eq!(tasks.as_array().map(Vec::len), Some(1), "{tasks}");
    assert_eq!(tasks[0]["report"], report);
    // The report is a second document, given with the event: it may arrive just after.
    let mut page = Value::Null;
    let arrived = wait_until(Duration::from_secs(20), || {
        match dept.invoke("get_report", json!({ "id": report })) {
            Ok(v) => {
                page = v;
                true
            }
            Err(_) => false,
        }
    });
    assert!(arrived, "the department never got the report");
    assert_eq!(
        page["report"]["description"], "路面塌陷,需要执法部门处理",
        "{page}"
    );
    assert_eq!(
        dept.refused("event_detail", json!({ "report": kept }))["code"],
        "not_found"
    );
    // The member's evidence photo comes down to it through the event it was given.
    let fetched = wait_until(Duration::from_secs(60), || {
        dept.invoke("photo", json!({ "hash": evidence, "thumb": false }))
            .is_ok()
    });
    assert!(fetched, "the department never got the report's photo");
    let after = photo(&dept);
    let done = step(
        &dept,
        json!({ "kind": "finish", "note": "已修复路面", "photos": [after.clone()] }),
    );
    assert_eq!(done["state"], "awaiting_check");
    // Its after-photo goes up into the event's grid, which it reads only through the event.
    let uploaded = wait_until(Duration::from_secs(20), || {
        dept.state()
            .with_store(|s| s.upload_backlog())
            .is_ok_and(|b| b.photos == 0)
    });
    assert!(uploaded, "{:?}", dept.state().sync_view());
    let held = {
        let s = wangge_relay::store::open(&relay.database).unwrap();
        let grid = wangge_schema::ScopeCode::parse(GRID).unwrap();
        s.blob_linked(after.as_str(), &grid).unwrap()
    };
    assert!(
        held.is_some(),
        "the relay holds the after-photo in the grid"
    );

    // The centre that dispatched it checks it; the member asks the resident.
    detail_when(&centre, &report, |d| d["state"] == "awaiting_check");
    let closed = step(&centre, json!({ "kind": "verify", "note": "已核实" }));
    assert_eq!(closed["state"], "closed");
    detail_when(&member, &report, |d| d["state"] == "closed");
    let rated = step(
        &member,
        json!({ "kind": "rate", "rating": "satisfied", "note": "" }),
    );
    assert_eq!(rated["state"], "rated");
    let history: Vec<Value> = rated["timeline"].as_array().unwrap().clone();
    assert_eq!(
        history
            .iter()
            .map(|s| (s["kind"].as_str().unwrap(), s["role"].as_str().unwrap()))
            .collect::<Vec<_>>(),
        [
            ("file", "member"),
            ("escalate", "leader"),
            ("escalate", "community"),
            ("dispatch", "centre"),
            ("finish", "department"),
            ("verify", "centre"),
            ("rate", "member"),
        ]
    );
    // Every device that holds the event ends with that history.
    for app in [&leader, &community, &centre, &dept] {
        let theirs = detail_when(app, &report, |d| d["state"] == "rated");
        assert_eq!(theirs["timeline"], rated["timeline"]);
    }
}
