//! Households, residents, checks, visits, journal, photos and reports through the
//! command layer, on a real encrypted store.

use std::sync::Mutex;

use wangge_core::{
    Category, CheckInput, Method, ReportInput, Severity, Slot, VisitInput, VisitPurpose,
};

use crate::helpers::*;

fn demo_app(rt: &tokio::runtime::Runtime) -> TestApp {
    let app = fresh_app(rt);
    app.state.start_demo().unwrap();
    app
}

#[test]
fn a_bad_id_number_is_refused_with_every_field_error_and_nothing_is_stored() {
    let rt = runtime();
    let app = demo_app(&rt);
    let hh = app.state.create_household(&flat("1201")).unwrap();
    let mut bad = resident("测试甲");
    bad.id_number = "110105194912310020".into(); // wrong check character
    bad.name = String::new();
    let err = app.state.add_resident(hh, &bad).unwrap_err();
    assert_eq!(err.code, "invalid");
    let fields: Vec<(&str, &str)> = err
        .fields
        .as_ref()
        .unwrap()
        .iter()
        .map(|f| (f.field, f.code))
        .collect();
    assert!(fields.contains(&("name", "required_field")), "{fields:?}");
    assert!(
        fields.contains(&("id_number", "id_number_bad_check")),
        "{fields:?}"
    );
    // The same problems come back while typing, and the household is unchanged.
    assert_eq!(
        app.state.validate_resident(&bad).unwrap().len(),
        fields.len()
    );
    let view = app.state.get_household(hh).unwrap();
    assert!(view.household.residents.is_empty());
    // The error serialises as the UI expects.
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["code"], "invalid");
    assert!(json["fields"].as_array().unwrap().len() >= 2);
}

#[test]
fn a_resident_shows_masked_on_the_household_page_and_unmasked_in_the_form() {
    let rt = runtime();
    let app = demo_app(&rt);
    let hh = app.state.create_household(&flat("1202")).unwrap();
    let input = resident("测试乙");
    let rid = app.state.add_resident(hh, &input).unwrap();
    let view = app.state.get_household(hh).unwrap();
    let r = &view.household.residents[0];
    assert_eq!(r.id, rid);
    assert_eq!(view.household.head, Some(rid));
    let n = &input.id_number;
    let masked = format!("{}********{}", &n[..6], &n[14..]);
    assert_eq!(r.id_number.as_deref(), Some(masked.as_str()));
    assert_eq!(r.phone.as_deref(), Some("138****8000"));
    assert!(view.conflicts.is_empty());
    let back = app.state.resident_input(rid).unwrap();
    assert_eq!(back.id_number, input.id_number);
    assert_eq!(back.phone, input.phone);
    // An edit keeps the id and shows up on the page.
    let mut edit = back.clone();
    edit.name = "测试丙".into();
    app.state.update_resident(rid, &edit).unwrap();
    let view = app.state.get_household(hh).unwrap();
    assert_eq!(view.household.residents[0].name, "测试丙");
}

#[test]
fn a_resident_moved_out_leaves_the_checks_due_and_search_and_can_move_back() {
    let rt = runtime();
    let app = demo_app(&rt);
    let hh = app.state.create_household(&flat("1203")).unwrap();
    let rid = app.state.add_resident(hh, &resident("测试丙")).unwrap();
    let due = |app: &TestApp| app.state.day_summary(None).unwrap().checks_due;
    let found = |app: &TestApp| {
        app.state
            .search_residents("测试丙")
            .unwrap()
            .iter()
            .any(|h| h.resident == rid)
    };
    let due_before = due(&app);
    assert!(found(&app));
    app.state.set_moved_out(rid, true).unwrap();
    let view = app.state.get_household(hh).unwrap();
    let r = view
        .household
        .residents
        .iter()
        .find(|r| r.id == rid)
        .unwrap();
    assert!(r.moved_out, "the record stays, marked moved out");
    assert!(due(&app) < due_before);
    assert!(!found(&app));
    app.state.set_moved_out(rid, false).unwrap();
    assert_eq!(due(&app), due_before);
    assert!(found(&app));
    // An unknown resident is refused with a clear code.
    let err = app
        .state
        .set_moved_out(wangge_core::ResidentId(uuid::Uuid::new_v4()), true)
        .unwrap_err();
    assert_eq!(err.code, "not_found");
}

#[test]
fn checks_recorded_for_a_household_show_fevers_in_its_list_and_the_summary() {
    let rt = runtime();
    let app = demo_app(&rt);
    let hh = app.state.list_households().unwrap()[0].id;
    let residents = app.state.get_household(hh).unwrap().household.residents;
    let checks: Vec<CheckInput> = residents
        .iter()
        .enumerate()
        .map(|(i, r)| CheckInput {
            resident: r.id,
            temperature: if i == 0 { "385".into() } else { "36.5".into() },
            method: Method::InPerson,
        })
        .collect();
    let ids = app.state.record_checks(Slot::Morning, &checks).unwrap();
    assert_eq!(ids.len(), residents.len());
    let rows = app.state.household_checks(hh, None).unwrap();
    assert_eq!(rows.len(), residents.len());
    assert!(rows.iter().all(|r| r.household == Some(hh)));
    let fevers = app.state.fever_list(None).unwrap();
    assert_eq!(fevers.len(), 1);
    assert_eq!(fevers[0].resident, residents[0].id);
    assert_eq!(fevers[0].tenths, 385);
    let s = app.state.day_summary(None).unwrap();
    assert_eq!((s.checks_done, s.fevers), (residents.len() as i64, 1));
    // A keypad slip is refused and nothing more is stored.
    let bad = [CheckInput {
        resident: residents[0].id,
        temperature: "3".into(),
        method: Method::InPerson,
    }];
    let err = app.state.record_checks(Slot::Afternoon, &bad).unwrap_err();
    assert_eq!(err.code, "invalid");
    assert_eq!(
        app.state.day_summary(None).unwrap().checks_done,
        residents.len() as i64
    );
}

#[test]
fn a_visit_feeds_the_journal_draft_and_the_saved_text_comes_back() {
    let rt = runtime();
    let app = demo_app(&rt);
    let hh = app.state.list_households().unwrap()[1].id;
    let vid = app
        .state
        .record_visit(&VisitInput {
            household: hh,
            purpose: VisitPurpose::SafetyPatrol,
            notes: "检查燃气".into(),
            needs: vec!["更换灯泡".into()],
        })
        .unwrap();
    let visits = app.state.visits_of_day(None).unwrap();
    assert_eq!(visits.iter().map(|v| v.id).collect::<Vec<_>>(), [vid]);
    let today = app.state.info().today;
    let draft = app.state.draft_journal(today).unwrap();
    assert!(
        draft.items.iter().any(|i| i.contains("安全巡查")),
        "{:?}",
        draft.items
    );
    assert!(app.state.journal_entry(today).unwrap().is_none());
    let text = draft.items.join("\n");
    app.state.save_journal(today, &text).unwrap();
    let saved = app.state.journal_entry(today).unwrap().unwrap();
    assert_eq!(saved.notes, text);
    assert_eq!(app.state.journal_days().unwrap(), [today]);
}

#[test]
fn a_photo_is_processed_stored_and_filed_with_a_report() {
    let rt = runtime();
    let app = demo_app(&rt);
    let jpeg = camera_jpeg(1200, 900);
    let seen = Mutex::new(vec![]);
    let p = app
        .state
        .add_photo(&jpeg, &|pr| seen.lock().unwrap().push(pr))
        .unwrap();
    assert_eq!(p.hash.len(), 64);
    assert_eq!((p.width, p.height), (1200, 900));
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done), "{seen:?}");
    let thumb = app.state.photo(&p.hash, true).unwrap();
    let full = app.state.photo(&p.hash, false).unwrap();
    assert_eq!(&thumb[..2], b"\xff\xd8");
    assert_eq!(full.len(), p.bytes);
    assert!(thumb.len() < full.len());

    let input = ReportInput {
        category: Category::SafetyHazard,
        severity: Severity::Serious,
        place: "9栋楼道".into(),
        gps: None,
        description: "楼道堆放杂物,堵塞消防通道".into(),
        photos: vec![p.hash.clone()],
    };
    let id = app.state.file_report(&input).unwrap();
    let rows = app.state.list_reports(None).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].id, rows[0].photo_count), (id, 1));
    let view = app.state.get_report(id).unwrap();
    assert_eq!(view.report.photos.iter().collect::<Vec<_>>(), [&p.hash]);
    assert!(view.photos_missing.is_empty());
    assert!(view.timeline.is_empty());
    let json = serde_json::to_value(&view).unwrap();
    assert!(json.get("photosMissing").is_some());
    assert_eq!(app.state.day_summary(None).unwrap().open_reports, 1);
}

#[test]
fn bad_photos_and_unknown_hashes_are_refused_without_storing_anything() {
    let rt = runtime();
    let app = demo_app(&rt);
    let jpeg = camera_jpeg(640, 480);
    let err = app
        .state
        .add_photo(&jpeg[..jpeg.len() / 2], &|_| {})
        .unwrap_err();
    assert_eq!(err.code, "truncated_image", "{err:?}");
    let err = app.state.add_photo(b"not an image", &|_| {}).unwrap_err();
    assert_ne!(err.code, "internal");
    let err = app.state.photo("abc", true).unwrap_err();
    assert_eq!(err.code, "invalid");
    let missing = "0".repeat(64);
    assert_eq!(
        app.state.photo(&missing, false).unwrap_err().code,
        "not_found"
    );
    let input = ReportInput {
        category: Category::SafetyHazard,
        severity: Severity::Minor,
        place: "门口".into(),
        gps: None,
        description: "井盖缺失".into(),
        photos: vec![missing],
    };
    let err = app.state.file_report(&input).unwrap_err();
    assert_eq!(err.fields.unwrap()[0].code, "photo_missing");
    assert!(app.state.list_reports(None).unwrap().is_empty());
}
