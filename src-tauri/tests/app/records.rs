//! Households, residents, checks, visits, journal, photos and reports: the commands the
//! screens invoke, with the arguments and answers the UI sends and gets, on a real
//! encrypted store. The rules themselves are core's (and tested there); these pin the
//! commands' names, argument names and JSON.

use serde_json::{Value, json};
use tauri::ipc::InvokeResponseBody;

use crate::helpers::*;

fn demo_app(rt: &tokio::runtime::Runtime) -> TestApp {
    let app = fresh_app(rt);
    app.call("start_demo", json!({}));
    app
}

fn codes(fields: &Value) -> Vec<(String, String)> {
    fields
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

#[test]
fn a_bad_resident_is_refused_once_with_every_field_error_and_nothing_is_stored() {
    let rt = runtime();
    let app = demo_app(&rt);
    let hh = app.call("create_household", json!({ "input": json(&flat("1201")) }));
    let mut bad = resident("测试甲");
    bad.id_number = "110105194912310020".into(); // wrong check character
    bad.name = String::new();
    let err = app.refused(
        "add_resident",
        json!({ "household": hh, "input": json(&bad) }),
    );
    assert_eq!(err["code"], "invalid");
    let fields = codes(&err["fields"]);
    assert_eq!(
        fields,
        [
            pair("name", "required_field"),
            pair("id_number", "id_number_bad_check")
        ]
    );
    // The same problems come back while typing, and the household is unchanged.
    let typed = app.call("validate_resident", json!({ "input": json(&bad) }));
    assert_eq!(codes(&typed), fields);
    let view = app.call("get_household", json!({ "id": hh }));
    assert_eq!(view["household"]["residents"], json!([]));
}

#[test]
fn a_resident_shows_masked_on_the_household_page_and_unmasked_in_the_form() {
    let rt = runtime();
    let app = demo_app(&rt);
    let hh = app.call("create_household", json!({ "input": json(&flat("1202")) }));
    let input = resident("测试乙");
    let rid = app.call(
        "add_resident",
        json!({ "household": hh, "input": json(&input) }),
    );
    let view = app.call("get_household", json!({ "id": hh }));
    let r = &view["household"]["residents"][0];
    assert_eq!(r["id"], rid);
    assert_eq!(view["household"]["head"], rid);
    let n = &input.id_number;
    assert_eq!(r["id_number"], format!("{}********{}", &n[..6], &n[14..]));
    assert_eq!(r["phone"], "138****8000");
    assert_eq!(view["conflicts"], json!([]));
    let back = app.call("resident_input", json!({ "id": rid }));
    assert_eq!(back, json(&input));
    // An edit keeps the id and shows up on the page.
    let mut edit = input.clone();
    edit.name = "测试丙".into();
    app.call(
        "update_resident",
        json!({ "id": rid, "input": json(&edit) }),
    );
    let view = app.call("get_household", json!({ "id": hh }));
    assert_eq!(view["household"]["residents"][0]["name"], "测试丙");
}

#[test]
fn a_resident_moved_out_leaves_the_checks_due_and_search_and_can_move_back() {
    let rt = runtime();
    let app = demo_app(&rt);
    let hh = app.call("create_household", json!({ "input": json(&flat("1203")) }));
    let input = json(&resident("测试丙"));
    let rid = app.call("add_resident", json!({ "household": hh, "input": input }));
    let due = |app: &TestApp| app.call("day_summary", json!({ "day": null }))["checks_due"].clone();
    let found = |app: &TestApp| {
        let hits = app.call("search_residents", json!({ "query": "测试丙" }));
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["resident"] == rid)
    };
    let due_before = due(&app);
    assert!(found(&app));
    app.call(
        "set_moved_out",
        json!({ "resident": rid, "movedOut": true }),
    );
    let view = app.call("get_household", json!({ "id": hh }));
    assert_eq!(view["household"]["residents"][0]["moved_out"], true);
    assert!(due(&app).as_i64() < due_before.as_i64());
    assert!(!found(&app));
    app.call(
        "set_moved_out",
        json!({ "resident": rid, "movedOut": false }),
    );
    assert_eq!(due(&app), due_before);
    assert!(found(&app));
    // An unknown resident is refused with a clear code.
    let stranger = uuid::Uuid::new_v4();
    let err = app.refused(
        "set_moved_out",
        json!({ "resident": stranger, "movedOut": true }),
    );
    assert_eq!(err["code"], "not_found");
}

#[test]
fn a_household_s_readings_save_in_one_call_that_answers_for_every_row() {
    let rt = runtime();
    let app = demo_app(&rt);
    let households = app.call("list_households", json!({}));
    let hh = households[0]["id"].clone();
    let view = app.call("get_household", json!({ "id": hh }));
    let ids: Vec<Value> = view["household"]["residents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    // The first resident has a fever; the last reading is a keypad slip.
    let mut checks: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let t = if i == 0 { "385" } else { "36.5" };
            json!({ "resident": r, "temperature": t, "method": "in_person" })
        })
        .collect();
    checks.push(json!({ "resident": ids[0], "temperature": "3", "method": "in_person" }));
    let answer = app.call(
        "record_checks",
        json!({ "slot": "morning", "checks": checks }),
    );
    assert_eq!(answer["saved"].as_array().unwrap().len(), ids.len());
    assert_eq!(answer["saved"][0]["fever"], true);
    let refused = &answer["refused"];
    assert_eq!(refused.as_array().unwrap().len(), 1);
    assert_eq!(refused[0]["row"], ids.len());
    assert_eq!(refused[0]["resident"], ids[0]);
    assert_eq!(refused[0]["error"]["field"], "temperature");
    assert_eq!(refused[0]["error"]["code"], "temperature_out_of_range");

    let rows = app.call("household_checks", json!({ "household": hh, "day": null }));
    assert_eq!(rows.as_array().unwrap().len(), ids.len());
    let fevers = app.call("fever_list", json!({ "day": null }));
    assert_eq!(fevers.as_array().unwrap().len(), 1);
    assert_eq!(
        (&fevers[0]["resident"], &fevers[0]["tenths"]),
        (&ids[0], &json!(385))
    );
    let s = app.call("day_summary", json!({ "day": null }));
    assert_eq!(
        (&s["checks_done"], &s["fevers"]),
        (&json!(ids.len()), &json!(1))
    );
    // The keypad's judgement as the member types.
    let r = app.call("validate_temperature", json!({ "text": "37.3" }));
    assert_eq!(r, json!({ "tenths": 373, "fever": true, "error": null }));
}

#[test]
fn a_visit_feeds_the_journal_draft_and_the_saved_text_comes_back() {
    let rt = runtime();
    let app = demo_app(&rt);
    let hh = app.call("list_households", json!({}))[1]["id"].clone();
    let input = json!({ "household": hh, "purpose": "safety_patrol", "notes": "检查燃气", "needs": ["更换灯泡"] });
    let vid = app.call("record_visit", json!({ "input": input }));
    let visits = app.call("visits_of_day", json!({ "day": null }));
    assert_eq!(visits.as_array().unwrap().len(), 1);
    assert_eq!(visits[0]["id"], vid);
    let today = app.state().info().today.to_string();
    let draft = app.call("draft_journal", json!({ "day": today }));
    let items: Vec<&str> = draft["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert!(items.iter().any(|i| i.contains("安全巡查")), "{items:?}");
    assert_eq!(
        app.call("journal_entry", json!({ "day": today })),
        Value::Null
    );
    let text = items.join("\n");
    app.call("save_journal", json!({ "day": today, "text": text }));
    let saved = app.call("journal_entry", json!({ "day": today }));
    assert_eq!(saved["notes"], text);
    assert_eq!(app.call("journal_days", json!({})), json!([today]));
}

#[test]
fn a_photo_is_processed_stored_and_filed_with_a_report() {
    let rt = runtime();
    let app = demo_app(&rt);
    let jpeg = camera_jpeg(1200, 900);
    let p = match app.invoke_raw("add_photo", jpeg) {
        Ok(InvokeResponseBody::Json(s)) => serde_json::from_str::<Value>(&s).unwrap(),
        other => panic!("add_photo: {other:?}"),
    };
    let hash = p["hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);
    assert_eq!((&p["width"], &p["height"]), (&json!(1200), &json!(900)));
    let thumb = app.bytes("photo", json!({ "hash": hash, "thumb": true }));
    let full = app.bytes("photo", json!({ "hash": hash, "thumb": false }));
    assert_eq!(&thumb[..2], b"\xff\xd8");
    assert_eq!(json!(full.len()), p["size"]);
    assert!(thumb.len() < full.len());

    let input = json!({
        "category": "safety_hazard", "severity": "serious", "place": "9栋楼道", "gps": null,
        "description": "楼道堆放杂物,堵塞消防通道", "photos": [hash],
    });
    let id = app.call("file_report", json!({ "input": input }));
    let rows = app.call("list_reports", json!({ "status": null }));
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!((&rows[0]["id"], &rows[0]["photo_count"]), (&id, &json!(1)));
    let view = app.call("get_report", json!({ "id": id }));
    assert_eq!(view["report"]["photos"], json!([hash]));
    assert_eq!(view["photosMissing"], json!([]));
    assert_eq!(view["timeline"], json!([]));
    assert_eq!(
        app.call("day_summary", json!({ "day": null }))["open_reports"],
        1
    );
}

#[test]
fn bad_photos_and_unknown_hashes_are_refused_without_storing_anything() {
    let rt = runtime();
    let app = demo_app(&rt);
    let jpeg = camera_jpeg(640, 480);
    let err = app
        .invoke_raw("add_photo", jpeg[..jpeg.len() / 2].to_vec())
        .unwrap_err();
    assert_eq!(err["code"], "truncated_image", "{err}");
    let err = app
        .invoke_raw("add_photo", b"not an image".to_vec())
        .unwrap_err();
    assert_ne!(err["code"], "internal");
    let err = app.refused("add_photo", json!({}));
    assert_eq!(err["code"], "invalid_body");
    let err = app.refused("photo", json!({ "hash": "abc", "thumb": true }));
    assert_eq!(err["code"], "invalid");
    let missing = "0".repeat(64);
    let err = app.refused("photo", json!({ "hash": missing, "thumb": false }));
    assert_eq!(err["code"], "not_found");
    let input = json!({
        "category": "safety_hazard", "severity": "minor", "place": "门口", "gps": null,
        "description": "", "photos": [missing],
    });
    let err = app.refused("file_report", json!({ "input": input }));
    assert_eq!(
        codes(&err["fields"]),
        [
            pair("description", "required_field"),
            pair("photos", "photo_missing")
        ]
    );
    assert_eq!(
        app.call("list_reports", json!({ "status": null })),
        json!([])
    );
}
