use chrono::Duration;
use wangge_core::*;

use crate::helpers::*;

#[test]
fn a_household_with_residents_lists_under_its_grid() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("3", "2", "501"))
        .unwrap();
    let mut head = person("王建国", Relation::Head);
    head.id_number = id_number("19550312", 13);
    head.phone = "13912345678".into();
    head.tags = vec![Tag::Elderly, Tag::LivingAlone];
    t.store.add_resident(h, &head).unwrap();
    t.store
        .add_resident(h, &person("王小明", Relation::Grandchild))
        .unwrap();

    let list = t.store.households_of_grid(&grid_a()).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].address, "幸福小区3栋2单元501室");
    assert_eq!(list[0].head_name.as_deref(), Some("王建国"));
    assert_eq!(list[0].resident_count, 2);
    assert_eq!(list[0].tags, ["elderly", "living_alone"]);
    assert!(t.store.households_of_grid(&grid_b()).unwrap().is_empty());

    let hh = t.store.household(h).unwrap();
    let r = hh.residents.iter().find(|r| r.name == "王建国").unwrap();
    assert_eq!(r.sex(), Some(Sex::Male));
    assert_eq!(r.birth_date().unwrap().to_string(), "1955-03-12");
    assert_eq!(r.phone.as_ref().unwrap().masked(), "139****5678");
}

#[test]
fn invalid_input_is_refused_before_anything_is_written() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("1", "1", "101"))
        .unwrap();
    let before = t
        .store
        .doc_changes(&DocumentId::from_uuid(h.0))
        .unwrap()
        .len();

    let mut bad = person("赵六", Relation::Head);
    bad.id_number = "110105195503121234".into();
    let e = t.store.add_resident(h, &bad).unwrap_err();
    assert_eq!(problems(&e), [("id_number", ErrorCode::IdNumberBadCheck)]);

    // Every problem of a form comes back from the action at once, as while typing.
    let mut bad = person("", Relation::Head);
    bad.phone = "12345".into();
    let typed: Vec<_> = bad
        .problems(t.store.today())
        .iter()
        .map(|p| (p.field, p.code))
        .collect();
    let expected = [
        ("name", ErrorCode::RequiredField),
        ("phone", ErrorCode::InvalidPhone),
    ];
    assert_eq!(typed, expected);
    let e = t.store.add_resident(h, &bad).unwrap_err();
    assert_eq!(problems(&e), expected);

    let e = t
        .store
        .create_household(&grid_a(), &flat("", "1", ""))
        .unwrap_err();
    assert_eq!(
        problems(&e),
        [
            ("building", ErrorCode::RequiredField),
            ("room", ErrorCode::RequiredField)
        ]
    );

    assert_eq!(
        t.store
            .doc_changes(&DocumentId::from_uuid(h.0))
            .unwrap()
            .len(),
        before
    );
    assert_eq!(t.store.household(h).unwrap().residents.len(), 0);
}

#[test]
fn a_household_batch_of_checks_is_one_change_and_fevers_are_listed() {
    let mut t = store_as("m1");
    let (_, a, b) = chen_household(&mut t.store);
    let checks = [
        CheckInput {
            resident: a,
            temperature: "36.5".into(),
            method: Method::InPerson,
        },
        CheckInput {
            resident: b,
            temperature: "38.1".into(),
            method: Method::InPerson,
        },
    ];
    t.store.record_checks(Slot::Morning, &checks).unwrap();
    let day_doc = checks_doc(&t.store);
    // genesis + one change for the batch
    assert_eq!(t.store.doc_changes(&day_doc).unwrap().len(), 2);

    let today = t.store.today();
    assert_eq!(t.store.checks_of_day(&grid_a(), today).unwrap().len(), 2);
    let fevers = t.store.fever_list(&grid_a(), today).unwrap();
    assert_eq!(fevers.len(), 1);
    assert_eq!(fevers[0].name, "陈二");
    assert_eq!(fevers[0].tenths, 381);
}

/// The day document keeps a check at `{resident}/{slot}` with only reading, method, member
/// and time; a record of the first layout (keyed by check id, naming everything) still
/// reads, and re-checking that resident replaces it.
#[test]
fn a_check_is_keyed_by_resident_and_slot_and_holds_only_the_reading() {
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ObjType, ROOT, ReadDoc};

    let mut t = store_as("m1");
    let (h, a, b) = chen_household(&mut t.store);
    let input = |resident, temperature: &str| CheckInput {
        resident,
        temperature: temperature.into(),
        method: Method::InPerson,
    };
    let ids = t
        .store
        .record_checks(Slot::Morning, &[input(a, "36.5")])
        .unwrap()
        .ids();
    let today = t.store.today();
    assert_eq!(ids, vec![TemperatureCheck::id_for(a, today, Slot::Morning)]);
    let day_doc = checks_doc(&t.store);
    let doc = Automerge::load(&t.store.doc_bytes(&day_doc).unwrap()).unwrap();
    let coll = match doc.get(ROOT, "checks").unwrap() {
        Some((_, id)) => id,
        None => panic!("no checks map"),
    };
    let keys: Vec<String> = doc.keys(&coll).collect();
    assert_eq!(keys, vec![format!("{a}/morning")]);
    let rec = match doc.get(&coll, keys[0].as_str()).unwrap() {
        Some((_, id)) => id,
        None => panic!("no record"),
    };
    let fields: Vec<String> = doc.keys(&rec).collect();
    assert_eq!(fields, ["at", "member", "method", "tenths"]);

    // A peer still writing the first layout: b's afternoon check keyed by its id.
    let old_id = TemperatureCheck::id_for(b, today, Slot::Afternoon);
    let mut peer = doc.fork();
    let mut tx = peer.transaction();
    let obj = tx
        .put_object(&coll, old_id.0.to_string(), ObjType::Map)
        .unwrap();
    for (k, v) in [
        ("id", old_id.0.to_string()),
        ("resident", b.0.to_string()),
        ("household", h.0.to_string()),
        ("grid", grid_a().as_str().to_owned()),
        ("date", today.to_string()),
        ("slot", "afternoon".to_owned()),
        ("method", "in_person".to_owned()),
        ("member", "m2".to_owned()),
    ] {
        tx.put(&obj, k, v).unwrap();
    }
    tx.put(&obj, "tenths", 384i64).unwrap();
    tx.put(&obj, "at", 1_795_000_000_000i64).unwrap();
    tx.commit();
    let change = peer.get_last_local_change().unwrap().raw_bytes().to_vec();
    t.store.apply_changes(&day_doc, &[change]).unwrap();
    let fevers = t.store.fever_list(&grid_a(), today).unwrap();
    assert_eq!(fevers.len(), 1);
    assert_eq!((fevers[0].resident, fevers[0].slot), (b, Slot::Afternoon));
    assert_eq!(fevers[0].household, Some(h));
    let full = t.store.household_checks(&grid_a(), h, today).unwrap();
    assert_eq!(
        full.iter()
            .map(|c| (c.id, c.resident, c.slot, c.celsius.tenths()))
            .collect::<Vec<_>>(),
        vec![
            (ids[0], a, Slot::Morning, 365),
            (old_id, b, Slot::Afternoon, 384)
        ]
    );

    // Re-checking b this afternoon replaces the old record: still one check, the new reading.
    t.store
        .record_checks(Slot::Afternoon, &[input(b, "36.9")])
        .unwrap();
    let rows = t.store.checks_of_day(&grid_a(), today).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(t.store.fever_list(&grid_a(), today).unwrap().is_empty());
    let doc = Automerge::load(&t.store.doc_bytes(&day_doc).unwrap()).unwrap();
    assert_eq!(doc.keys(&coll).count(), 2);

    // A device that has the day's checks but not yet the household lists the check, with
    // neither household nor name, until the household arrives.
    let mut other = store_as("m2");
    let changes = t.store.doc_changes(&day_doc).unwrap();
    other.store.apply_changes(&day_doc, &changes).unwrap();
    let rows = other.store.checks_of_day(&grid_a(), today).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.household.is_none() && r.name.is_empty())
    );
    let hh_doc = DocumentId::from_uuid(h.0);
    let changes = t.store.doc_changes(&hh_doc).unwrap();
    other.store.apply_changes(&hh_doc, &changes).unwrap();
    let rows = other.store.checks_of_day(&grid_a(), today).unwrap();
    assert!(
        rows.iter()
            .all(|r| r.household == Some(h) && !r.name.is_empty())
    );
}

#[test]
fn checks_belong_to_the_local_day_not_the_utc_day() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("1", "1", "101"))
        .unwrap();
    let a = t
        .store
        .add_resident(h, &person("陈一", Relation::Head))
        .unwrap();
    // 2026-11-24 16:30 UTC is 00:30 on the 25th in Shanghai.
    t.clock.set(t0() + Duration::minutes(15 * 60 + 30));
    t.store
        .record_checks(
            Slot::Morning,
            &[CheckInput {
                resident: a,
                temperature: "36.4".into(),
                method: Method::Reported,
            }],
        )
        .unwrap();
    let d25 = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let d24 = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    assert_eq!(t.store.checks_of_day(&grid_a(), d25).unwrap().len(), 1);
    assert_eq!(t.store.checks_of_day(&grid_a(), d24).unwrap().len(), 0);
}

#[test]
fn a_visit_updates_the_household_and_feeds_the_journal_draft() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("2", "1", "301"))
        .unwrap();
    let a = t
        .store
        .add_resident(h, &person("刘奶奶", Relation::Head))
        .unwrap();
    t.store
        .record_visit(&VisitInput {
            household: h,
            purpose: VisitPurpose::SafetyPatrol,
            notes: "检查燃气".into(),
            needs: vec!["更换烟感".into()],
        })
        .unwrap();
    t.store
        .record_checks(
            Slot::Morning,
            &[CheckInput {
                resident: a,
                temperature: "37.5".into(),
                method: Method::InPerson,
            }],
        )
        .unwrap();
    let photo = t
        .store
        .put_blob(b"\xff\xd8\xff\xe0 not really a jpeg but bytes", None)
        .unwrap();
    t.store
        .file_report(
            &grid_a(),
            &ReportInput {
                category: Category::SafetyHazard,
                severity: Severity::Minor,
                place: "2栋楼道".into(),
                gps: None,
                description: "楼道堆放杂物".into(),
                photos: vec![photo.hash],
            },
        )
        .unwrap();

    let list = t.store.households_of_grid(&grid_a()).unwrap();
    assert_eq!(list[0].days_since_visit, Some(0));
    t.clock.advance(Duration::days(3));
    assert_eq!(
        t.store.households_of_grid(&grid_a()).unwrap()[0].days_since_visit,
        Some(3)
    );
    t.clock.set(t0());

    let draft = t.store.draft_journal(t.store.today()).unwrap();
    assert_eq!(
        draft.items,
        [
            "入户走访1户(安全巡查1户)",
            "收集群众微心愿1条",
            "测温1人、1人次,发热1人次,已按规定上报跟进",
            "上报事件1件(安全隐患1件)"
        ]
    );
    let summary = t.store.day_summary(&[grid_a()], t.store.today()).unwrap();
    assert_eq!(
        (
            summary.checks_done,
            summary.checks_due,
            summary.fevers,
            summary.visits,
            summary.reports_filed,
            summary.open_reports
        ),
        (1, 2, 1, 1, 1, 1)
    );

    t.store
        .save_journal(&grid_a(), t.store.today(), &draft.items, "今日走访顺利")
        .unwrap();
    let saved = t
        .store
        .journal_entry(&grid_a(), t.store.today())
        .unwrap()
        .unwrap();
    assert_eq!(saved.items, draft.items);
    assert_eq!(t.store.journal_days().unwrap(), [t.store.today()]);
}

#[test]
fn a_report_moves_through_dispatch_to_rated_and_goes_overdue_past_its_deadline() {
    let mut t = store_as("m1");
    let input = ReportInput {
        category: Category::UrbanProperty,
        severity: Severity::Serious,
        place: "5栋北侧".into(),
        gps: Some(Gps {
            lat_e6: 39_915_000,
            lon_e6: 116_404_000,
        }),
        description: "井盖缺失".into(),
        photos: vec!["0".repeat(64)],
    };
    let e = t.store.file_report(&grid_a(), &input).unwrap_err();
    assert_eq!(problems(&e), [("photos", ErrorCode::PhotoMissing)]);
    let input = ReportInput {
        photos: vec![],
        ..input
    };
    let r = t.store.file_report(&grid_a(), &input).unwrap();
    assert_eq!(
        t.store
            .reports(&[grid_a()], Some(ReportStatus::Reported))
            .unwrap()
            .len(),
        1
    );

    t.store
        .add_report_status(
            r,
            ReportStatus::Dispatched,
            "请物业处理",
            Some(t0() + Duration::hours(24)),
            None,
        )
        .unwrap();
    let rows = t.store.reports(&[grid_a()], None).unwrap();
    assert_eq!(
        (rows[0].status, rows[0].overdue),
        (ReportStatus::Dispatched, false)
    );
    t.clock.advance(Duration::hours(25));
    assert!(t.store.reports(&[grid_a()], None).unwrap()[0].overdue);
    t.store
        .add_report_status(r, ReportStatus::Closed, "已更换井盖", None, None)
        .unwrap();
    assert!(!t.store.reports(&[grid_a()], None).unwrap()[0].overdue);
    let e = t
        .store
        .add_report_status(r, ReportStatus::Rated, "", None, Some(9))
        .unwrap_err();
    assert_eq!(problems(&e), [("rating", ErrorCode::InvalidRating)]);
    t.clock.advance(Duration::minutes(1));
    t.store
        .add_report_status(r, ReportStatus::Rated, "满意", None, Some(5))
        .unwrap();
    let (report, history) = t.store.report(r).unwrap();
    assert_eq!(report.gps.unwrap().lat_e6, 39_915_000);
    let statuses: Vec<_> = history.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            ReportStatus::Dispatched,
            ReportStatus::Closed,
            ReportStatus::Rated
        ]
    );
    assert_eq!(
        t.store
            .reports(&[grid_a()], Some(ReportStatus::Rated))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn the_same_photo_is_stored_once() {
    let mut t = store_as("m1");
    let a = t.store.put_blob(b"photo bytes", Some(b"thumb")).unwrap();
    let b = t.store.put_blob(b"photo bytes", Some(b"thumb")).unwrap();
    assert_eq!(a.hash, b.hash);
    assert!(a.new && !b.new);
    assert_eq!(t.store.blob(&a.hash).unwrap(), b"photo bytes");
    assert_eq!(t.store.thumbnail(&a.hash).unwrap(), b"thumb");
    let e = t.store.put_blob(b"", None).unwrap_err();
    assert_eq!(problems(&e), [("photo", ErrorCode::EmptyFile)]);
    assert_eq!(
        t.store
            .put_blob_verified(&a.hash, b"other bytes", None)
            .unwrap_err()
            .code(),
        "document_error"
    );
}

#[test]
fn changed_since_lists_what_changed_after_a_time() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("1", "1", "101"))
        .unwrap();
    let mark = t.store.now().timestamp_millis();
    t.clock.advance(Duration::seconds(5));
    t.store
        .add_resident(h, &person("孙七", Relation::Head))
        .unwrap();
    let changed = t.store.changed_since(mark, 100).unwrap();
    let kinds: Vec<_> = changed.iter().map(|c| c.kind).collect();
    assert!(
        kinds.contains(&"resident") && kinds.contains(&"household"),
        "{kinds:?}"
    );
}

#[test]
fn reopen_and_compaction_leave_the_data_identical() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("1", "1", "101"))
        .unwrap();
    let a = t
        .store
        .add_resident(h, &person("周八", Relation::Head))
        .unwrap();
    for i in 0..5 {
        t.clock.advance(Duration::minutes(1));
        let mut p = person("周八", Relation::Head);
        p.notes = format!("第{i}次备注");
        t.store.update_resident(a, &p).unwrap();
    }
    t.store
        .record_checks(
            Slot::Morning,
            &[CheckInput {
                resident: a,
                temperature: "36.8".into(),
                method: Method::InPerson,
            }],
        )
        .unwrap();
    let before = (
        t.store.household(h).unwrap(),
        t.store.households_of_grid(&grid_a()).unwrap(),
        t.store.checks_of_day(&grid_a(), t.store.today()).unwrap(),
    );
    let doc_before = t.store.doc_bytes(&DocumentId::from_uuid(h.0)).unwrap();

    let mut t = t.reopen();
    let after = (
        t.store.household(h).unwrap(),
        t.store.households_of_grid(&grid_a()).unwrap(),
        t.store.checks_of_day(&grid_a(), t.store.today()).unwrap(),
    );
    assert_eq!(before, after);

    assert!(t.store.compact_all().unwrap() >= 3);
    let mut t = t.reopen();
    let compacted = (
        t.store.household(h).unwrap(),
        t.store.households_of_grid(&grid_a()).unwrap(),
        t.store.checks_of_day(&grid_a(), t.store.today()).unwrap(),
    );
    assert_eq!(before, compacted);
    assert_eq!(
        t.store.doc_bytes(&DocumentId::from_uuid(h.0)).unwrap(),
        doc_before
    );
    assert_eq!(t.store.integrity_check().unwrap(), "ok");
    // Still writable after compaction and reopen.
    t.store
        .add_resident(h, &person("周九", Relation::Child))
        .unwrap();
    assert_eq!(t.store.household(h).unwrap().residents.len(), 2);
}

#[test]
fn compaction_gives_freed_pages_back_to_the_filesystem() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("1", "1", "101"))
        .unwrap();
    let a = t
        .store
        .add_resident(h, &person("钱一", Relation::Head))
        .unwrap();
    for i in 0..400 {
        let mut p = person("钱一", Relation::Head);
        p.notes = format!("{i}:{}", "走访记录".repeat(40));
        t.store.update_resident(a, &p).unwrap();
    }
    t.store.compact_all().unwrap();
    let free: i64 = rusqlite_free_pages(&t);
    assert!(
        free < 8,
        "{free} free pages left in the file after compaction"
    );
}

fn rusqlite_free_pages(t: &TestStore) -> i64 {
    t.store.free_pages().unwrap()
}
