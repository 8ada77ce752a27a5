//! What the app's screens get from core: the household page with personal numbers masked,
//! the form's unmasked values, a day's checks, fevers and visits over a member's grids,
//! the report page, stored photos and the offline demo.

use wangge_core::views::PhotoStage;
use wangge_core::*;

use crate::helpers::*;

fn check(resident: ResidentId, temperature: &str) -> CheckInput {
    CheckInput {
        resident,
        temperature: temperature.into(),
        method: Method::InPerson,
    }
}

#[test]
fn the_household_page_masks_numbers_and_only_the_form_gets_them_whole() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("3", "2", "501"))
        .unwrap();
    let mut head = person("测试甲", Relation::Head);
    head.id_number = id_number("19491231", 2);
    head.phone = "13800138000".into();
    let r = t.store.add_resident(h, &head).unwrap();
    let view = t.store.household_view(h).unwrap();
    assert_eq!(view.household.address_line, "幸福小区3栋2单元501室");
    assert_eq!(view.household.head, Some(r));
    let shown = &view.household.residents[0];
    let n = &head.id_number;
    let masked = format!("{}********{}", &n[..6], &n[14..]);
    assert_eq!(shown.id_number.as_deref(), Some(masked.as_str()));
    assert_eq!(shown.phone.as_deref(), Some("138****8000"));
    let json = serde_json::to_string(&view).unwrap();
    assert!(!json.contains(n.as_str()) && !json.contains("13800138000"));
    assert!(view.conflicts.is_empty());
    // The edit form: as typed, so an unchanged save changes nothing.
    assert_eq!(t.store.resident_input(r).unwrap(), head);
    let unknown = ResidentId(uuid::Uuid::new_v4());
    assert_eq!(
        t.store.resident_input(unknown).unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[test]
fn the_household_page_lists_a_field_edited_on_two_devices_under_its_resident() {
    let mut a = store_as("m1");
    let mut b = store_as("m2");
    let h = a
        .store
        .create_household(&grid_a(), &flat("1", "1", "101"))
        .unwrap();
    let r = a
        .store
        .add_resident(h, &person("王芳", Relation::Head))
        .unwrap();
    sync_into(&mut a.store, &mut b.store);
    for (t, name) in [(&mut a, "王方"), (&mut b, "汪芳")] {
        let mut edit = t.store.resident_input(r).unwrap();
        edit.name = name.into();
        t.store.update_resident(r, &edit).unwrap();
    }
    sync_into(&mut b.store, &mut a.store);
    let view = a.store.household_view(h).unwrap();
    let c: Vec<_> = view
        .conflicts
        .iter()
        .map(|c| (c.resident, c.field.as_str(), c.values.len()))
        .collect();
    assert_eq!(c, [(Some(r), "name", 2)]);
}

#[test]
fn a_moved_out_resident_stays_on_the_page_flagged() {
    let mut t = store_as("m1");
    let (h, _, b) = chen_household(&mut t.store);
    t.store.set_moved_out(b, true).unwrap();
    let view = t.store.household_view(h).unwrap();
    let flags: Vec<_> = view
        .household
        .residents
        .iter()
        .map(|r| (r.id == b, r.moved_out))
        .collect();
    assert!(flags.contains(&(true, true)) && flags.contains(&(false, false)));
}

#[test]
fn a_household_s_checks_of_a_day_are_its_own_only() {
    let mut t = store_as("m1");
    let (h, a, b) = chen_household(&mut t.store);
    let other = t
        .store
        .create_household(&grid_a(), &flat("1", "1", "102"))
        .unwrap();
    let c = t
        .store
        .add_resident(other, &person("邻居", Relation::Head))
        .unwrap();
    let rows = [check(a, "36.5"), check(b, "38.0"), check(c, "36.6")];
    t.store.record_checks(Slot::Morning, &rows).unwrap();
    let mine = t.store.household_checks_on(h, None).unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|r| r.household == Some(h)));
    let tomorrow = t.store.today().succ_opt();
    assert!(t.store.household_checks_on(h, tomorrow).unwrap().is_empty());
}

#[test]
fn fevers_visits_and_numbers_of_a_day_span_every_grid_of_the_member() {
    let mut t = store_as("m1");
    let (h_a, a, _) = chen_household(&mut t.store);
    let h_b = t
        .store
        .create_household(&grid_b(), &flat("2", "1", "201"))
        .unwrap();
    let b = t
        .store
        .add_resident(h_b, &person("赵一", Relation::Head))
        .unwrap();
    let rows = [check(a, "38.5"), check(b, "37.9")];
    t.store.record_checks(Slot::Morning, &rows).unwrap();
    for (i, h) in [h_b, h_a].into_iter().enumerate() {
        t.clock
            .advance(chrono::Duration::minutes(10 * (i as i64 + 1)));
        t.store
            .record_visit(&VisitInput {
                household: h,
                purpose: VisitPurpose::InfoCollection,
                notes: String::new(),
                needs: vec![],
            })
            .unwrap();
    }
    let both = [grid_a(), grid_b()];
    let fevers: Vec<_> = t
        .store
        .fevers_on(&both, None)
        .unwrap()
        .iter()
        .map(|f| f.resident)
        .collect();
    assert_eq!(fevers, [a, b]);
    assert_eq!(t.store.fevers_on(&[grid_b()], None).unwrap().len(), 1);
    let visits: Vec<_> = t
        .store
        .visits_on(&both, None)
        .unwrap()
        .iter()
        .map(|v| v.household)
        .collect();
    assert_eq!(visits, [h_b, h_a], "oldest first across grids");
    let s = t.store.summary_on(&both, None).unwrap();
    assert_eq!((s.checks_done, s.fevers, s.visits), (2, 2, 2));
    assert_eq!(s.checks_due, 3 * 2);
}

#[test]
fn the_report_page_names_the_photos_not_on_this_device() {
    let mut t = store_as("m1");
    let photo = t.store.put_blob(b"evidence bytes", Some(b"thumb")).unwrap();
    let id = t
        .store
        .file_report(
            &grid_a(),
            &ReportInput {
                category: Category::SafetyHazard,
                severity: Severity::Minor,
                place: "门口".into(),
                gps: None,
                description: "井盖缺失".into(),
                photos: vec![photo.hash.clone()],
            },
        )
        .unwrap();
    let view = t.store.report_view(id).unwrap();
    assert_eq!(view.report.id, id);
    assert!(view.photos_missing.is_empty() && view.timeline.is_empty());
    let json = serde_json::to_value(&view).unwrap();
    assert!(json.get("photosMissing").is_some());
    // A report that arrived without its photo says which one is missing.
    let mut other = store_as("m2");
    sync_into(&mut t.store, &mut other.store);
    assert_eq!(
        other.store.report_view(id).unwrap().photos_missing,
        [photo.hash]
    );
}

#[test]
fn a_photo_without_a_thumbnail_shows_its_evidence_instead() {
    let mut t = store_as("m1");
    let with = t
        .store
        .put_blob(b"evidence one", Some(b"thumb one"))
        .unwrap();
    let without = t.store.put_blob(b"evidence two", None).unwrap();
    assert_eq!(t.store.photo_bytes(&with.hash, true).unwrap(), b"thumb one");
    assert_eq!(
        t.store.photo_bytes(&with.hash, false).unwrap(),
        b"evidence one"
    );
    assert_eq!(
        t.store.photo_bytes(&without.hash, true).unwrap(),
        b"evidence two"
    );
    let e = t.store.photo_bytes(&"0".repeat(64), true).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let e = t.store.photo_bytes("abc", true).unwrap_err();
    assert_eq!(problems(&e), [("photo", ErrorCode::InvalidPhotoRef)]);
    assert_eq!(
        PhotoStage::from_code("resizing"),
        Some(PhotoStage::Resizing)
    );
}

#[test]
fn the_offline_demo_seeds_its_grid_of_invented_households() {
    let mut t = store_as("demo");
    let grid = demo::seed_offline_demo(&mut t.store).unwrap();
    assert_eq!(grid.as_str(), demo::DEMO_GRID);
    let households = t.store.households_of_grid(&grid).unwrap();
    assert_eq!(households.len(), demo::DEMO_HOUSEHOLDS);
    assert!(t.store.summary_on(&[grid], None).unwrap().checks_due > 0);
}

#[test]
fn a_resident_form_is_judged_as_of_the_store_s_today() {
    let t = store_as("m1");
    let mut input = person("测试乙", Relation::Head);
    // Born tomorrow (the store's clock says 2026-11-24).
    input.id_number = id_number("20261125", 1);
    let got: Vec<_> = t
        .store
        .resident_problems(&input)
        .iter()
        .map(|p| (p.field, p.code))
        .collect();
    assert_eq!(got, [("id_number", ErrorCode::IdNumberBadDate)]);
}
