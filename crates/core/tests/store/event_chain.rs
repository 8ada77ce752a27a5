//! Events (事件) in the store: steps of the chain of command written into dispatch
//! documents, checked for the device's party, derived back on every replica, and listed
//! as to-dos. Invented people of one district; every store a real encrypted file.

use chrono::{DateTime, TimeZone, Utc};
use wangge_core::wangge_events::{
    ActionKind, Assignee, Level, Limit, Mark, Party, Rating, Refusal, Settlement, Stage, State,
    StepId,
};
use wangge_core::*;

use crate::helpers::*;

const COMMUNITY: &str = "110105001001";
const CENTRE: &str = "110105";

/// A local time (Asia/Shanghai) in November 2026.
fn nov(day: u32, hh: u32, mm: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 11, day, hh, mm, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn acting(member: &str, role: Party, unit: &str) -> TestStore {
    store_acting(
        member,
        ActingParty {
            role,
            unit: unit.into(),
        },
    )
}

fn member() -> TestStore {
    acting("m-wang", Party::Member, grid_a().as_str())
}
fn leader() -> TestStore {
    acting("l-zhao", Party::Leader, grid_a().as_str())
}

/// A photo stored on `t`'s device.
fn photo(t: &mut TestStore, seed: &str) -> String {
    t.store
        .put_blob(format!("evidence {seed}").as_bytes(), None)
        .unwrap()
        .hash
}

fn file_with_photo(t: &mut TestStore, what: &str) -> ReportId {
    let hash = photo(t, what);
    t.store
        .file_report(
            &grid_a(),
            &ReportInput {
                category: Category::UrbanProperty,
                severity: Severity::Minor,
                place: "3栋2单元".into(),
                gps: None,
                description: what.into(),
                photos: vec![hash],
            },
        )
        .unwrap()
}

/// Every document's change count: what a refused step must leave as it was.
fn change_counts(store: &mut Store) -> Vec<(DocumentId, usize)> {
    let ids: Vec<DocumentId> = store.doc_ids().unwrap().into_iter().map(|d| d.0).collect();
    ids.into_iter()
        .map(|id| {
            let n = store.doc_changes(&id).unwrap().len();
            (id, n)
        })
        .collect()
}

/// What must agree on every replica: everything but the buttons and the clock's mark.
fn converged(d: &EventDetail) -> impl PartialEq + std::fmt::Debug + use<> {
    (
        d.state,
        d.level,
        d.assignee.clone(),
        d.verifier,
        d.first_responsible,
        d.open_conflicts.clone(),
        d.timeline.clone(),
    )
}

fn kinds(d: &EventDetail) -> Vec<ActionKind> {
    d.timeline.iter().map(|e| e.kind).collect()
}

#[test]
fn a_report_goes_from_filing_to_rating_with_its_deadline_marked_on_the_way() {
    let mut m = member();
    let mut l = leader();
    m.clock.set(nov(24, 9, 0));
    let r = file_with_photo(&mut m, "楼道灯不亮");
    let d = m.store.event_detail(r).unwrap();
    assert_eq!((d.state, d.level), (Some(State::Pending), Level::Grid));
    // Property: four working hours to accept, from Tue 09:00 to 14:30 (lunch excluded).
    let clock = d.deadline.unwrap();
    assert_eq!(
        (clock.stage, clock.due_ms, clock.mark),
        (Stage::Accept, ms(nov(24, 14, 30)), Mark::OnTime)
    );
    assert!(d.allowed.is_empty(), "a member accepts nothing");

    sync_into(&mut m.store, &mut l.store);
    l.clock.set(nov(24, 9, 30));
    assert_eq!(
        l.store.event_detail(r).unwrap().allowed,
        [ActionKind::Accept, ActionKind::Escalate]
    );
    l.store.accept_report(r, Limit::WorkingDays(3)).unwrap();
    l.clock.set(nov(24, 9, 40));
    let wang = user_id("m-wang");
    l.store.hand_over_report(r, wang, "请尽快更换").unwrap();
    let d = l.store.event_detail(r).unwrap();
    let zhao = user_id("l-zhao");
    assert_eq!(d.assignee, Some(Assignee::Member(wang)));
    assert_eq!((d.first_responsible, d.verifier), (Some(zhao), Some(zhao)));
    // Three working days after Tue: due Fri 27 Nov at the close of work.
    let clock = d.deadline.unwrap();
    assert_eq!(
        (clock.stage, clock.due_ms, clock.mark),
        (Stage::Handle, ms(nov(27, 17, 30)), Mark::OnTime)
    );
    l.clock.set(nov(26, 16, 30));
    assert_eq!(
        l.store.event_detail(r).unwrap().deadline.unwrap().mark,
        Mark::Yellow
    );

    sync_into(&mut l.store, &mut m.store);
    m.clock.set(nov(25, 10, 0));
    m.store.record_progress(r, "已联系物业", vec![]).unwrap();
    m.clock.set(nov(30, 9, 0));
    assert_eq!(
        m.store.event_detail(r).unwrap().deadline.unwrap().mark,
        Mark::Overdue
    );
    let after = photo(&mut m, "换灯之后");
    m.store
        .finish_report(r, "已更换灯泡", vec![after.clone()])
        .unwrap();

    sync_into(&mut m.store, &mut l.store);
    l.clock.set(nov(30, 10, 0));
    let d = l.store.event_detail(r).unwrap();
    assert_eq!(d.state, Some(State::AwaitingCheck));
    assert_eq!(d.deadline.unwrap().stage, Stage::Check);
    assert_eq!(d.allowed, [ActionKind::Verify, ActionKind::RejectCheck]);
    l.store.verify_report(r, "已核实").unwrap();

    sync_into(&mut l.store, &mut m.store);
    m.clock.set(nov(30, 15, 0));
    m.store
        .rate_report(r, Rating::Satisfied, "居民满意")
        .unwrap();
    let d = m.store.event_detail(r).unwrap();
    assert_eq!(d.state, Some(State::Rated));
    assert_eq!(d.deadline, None);
    assert_eq!(
        kinds(&d),
        [
            ActionKind::File,
            ActionKind::Accept,
            ActionKind::HandOver,
            ActionKind::Progress,
            ActionKind::Finish,
            ActionKind::Verify,
            ActionKind::Rate
        ]
    );
    assert!(
        d.timeline
            .iter()
            .all(|e| matches!(e.status, StepStatus::Applied { .. }))
    );
    let finish = &d.timeline[4];
    assert_eq!((finish.by, finish.photos.clone()), (wang, vec![after]));
    // The report list follows the steps.
    let rows = m.store.reports(&[grid_a()], None).unwrap();
    assert_eq!(rows[0].status, ReportStatus::Rated);

    let before = converged(&d);
    let mut m = m.reopen();
    assert_eq!(converged(&m.store.event_detail(r).unwrap()), before);
    sync_into(&mut m.store, &mut l.store);
    assert_eq!(converged(&l.store.event_detail(r).unwrap()), before);
}

#[test]
fn a_refused_step_names_its_code_and_writes_nothing() {
    let mut m = member();
    let r = file_with_photo(&mut m, "井盖缺失");
    let before = change_counts(&mut m.store);

    let e = m.store.accept_report(r, Limit::WorkingDays(3)).unwrap_err();
    assert_eq!(e.refusal(), Some(Refusal::RoleMayNot));
    assert!(e.to_string().contains("role_may_not"), "{e}");
    assert!(e.to_string().contains(Refusal::RoleMayNot.message()), "{e}");

    let mut l = leader();
    sync_into(&mut m.store, &mut l.store);
    l.store.accept_report(r, Limit::WorkingDays(2)).unwrap();
    let held = change_counts(&mut l.store);
    // The leader holds it now: finishing without an after-photo is refused.
    let e = l.store.finish_report(r, "已处理", vec![]).unwrap_err();
    assert_eq!(e.refusal(), Some(Refusal::MissingPhoto));
    // A photo the device does not have is bad input, not a step.
    let e = l
        .store
        .finish_report(r, "已处理", vec!["0".repeat(64)])
        .unwrap_err();
    assert_eq!(problems(&e), [("photos", ErrorCode::PhotoMissing)]);
    assert_eq!(change_counts(&mut l.store), held);
    assert_eq!(l.store.event_steps(r).unwrap().len(), 2);

    assert_eq!(change_counts(&mut m.store), before);
    assert_eq!(m.store.event_steps(r).unwrap().len(), 1);
    let e = m.store.event_detail(ReportId::new()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[test]
fn two_leaders_accepting_offline_converge_with_the_later_kept_open_as_a_conflict() {
    let mut m = member();
    let r = file_with_photo(&mut m, "消防通道堵塞");
    let mut a = leader();
    let mut b = acting("l-li", Party::Leader, grid_a().as_str());
    sync_into(&mut m.store, &mut a.store);
    sync_into(&mut m.store, &mut b.store);

    a.clock.set(nov(24, 9, 30));
    b.clock.set(nov(24, 9, 40));
    let first = a.store.accept_report(r, Limit::WorkingDays(3)).unwrap();
    let second = b.store.accept_report(r, Limit::WorkingDays(1)).unwrap();
    sync_into(&mut a.store, &mut b.store);
    sync_into(&mut b.store, &mut a.store);

    let da = a.store.event_detail(r).unwrap();
    let db = b.store.event_detail(r).unwrap();
    assert_eq!(converged(&da), converged(&db));
    let zhao = user_id("l-zhao");
    assert_eq!(
        (da.first_responsible, da.verifier),
        (Some(zhao), Some(zhao))
    );
    assert_eq!(da.open_conflicts, [second]);
    let lost = da.timeline.iter().find(|e| e.step == second).unwrap();
    assert_eq!(
        lost.status,
        StepStatus::Conflict {
            refusal: Refusal::WrongState,
            lost_to: vec![first],
            settled: false
        }
    );
    // Both see the later leader's step; only the verifier may settle it.
    assert_eq!(b.store.event_steps(r).unwrap().len(), 3);
    assert!(db.allowed.is_empty(), "{:?}", db.allowed);
    assert!(da.allowed.contains(&ActionKind::Settle));

    a.clock.set(nov(24, 10, 0));
    a.store
        .settle_conflict(r, second, Settlement::Dismiss)
        .unwrap();
    sync_into(&mut a.store, &mut b.store);
    let db = b.store.event_detail(r).unwrap();
    assert!(db.open_conflicts.is_empty());
    assert_eq!(converged(&a.store.event_detail(r).unwrap()), converged(&db));
}

#[test]
fn a_report_without_a_photo_enters_the_chain_by_a_file_step_and_two_offline_files_share_one_document()
 {
    let mut m = member();
    let r = m
        .store
        .file_report(
            &grid_a(),
            &ReportInput {
                category: Category::DisputeMediation,
                severity: Severity::Serious,
                place: "5栋楼下".into(),
                gps: None,
                description: "邻里噪声纠纷".into(),
                photos: vec![],
            },
        )
        .unwrap();
    let d = m.store.event_detail(r).unwrap();
    assert_eq!((d.state, d.timeline.len()), (None, 0));
    assert_eq!(d.allowed, [ActionKind::File]);

    let mut l = leader();
    sync_into(&mut m.store, &mut l.store);
    let file = |t: &mut TestStore, seed: &str| {
        let hash = photo(t, seed);
        t.store.take_step(
            r,
            wangge_core::wangge_events::Action::File {
                category: "dispute.neighbour".into(),
                severity: wangge_core::wangge_events::Severity::Serious,
                note: "补拍现场照片".into(),
                photos: vec![hash],
            },
        )
    };
    m.clock.set(nov(24, 10, 0));
    l.clock.set(nov(24, 10, 5));
    let by_member = file(&mut m, "现场甲").unwrap();
    let by_leader = file(&mut l, "现场乙").unwrap();
    sync_into(&mut m.store, &mut l.store);
    sync_into(&mut l.store, &mut m.store);

    // Each device created the dispatch document and its steps map offline: neither
    // hides the other's step.
    for t in [&mut m, &mut l] {
        let d = t.store.event_detail(r).unwrap();
        assert_eq!(d.timeline.len(), 2);
        assert_eq!(d.state, Some(State::Pending));
        assert_eq!(d.open_conflicts, [by_leader]);
        assert!(matches!(
            d.timeline
                .iter()
                .find(|e| e.step == by_member)
                .unwrap()
                .status,
            StepStatus::Applied { .. }
        ));
    }
    assert_eq!(
        converged(&m.store.event_detail(r).unwrap()),
        converged(&l.store.event_detail(r).unwrap())
    );
}

#[test]
fn the_to_do_lists_of_a_leader_a_member_and_the_centre() {
    let mut m = member();
    let mut l = leader();
    let mut cm = acting("s-sun", Party::Community, COMMUNITY);
    let mut c = acting("c-qian", Party::Centre, CENTRE);
    let waiting = file_with_photo(&mut m, "路面塌陷");
    let up = file_with_photo(&mut m, "违章搭建");
    let handed = file_with_photo(&mut m, "垃圾堆放");
    sync_into(&mut m.store, &mut l.store);

    l.clock.set(nov(24, 9, 30));
    l.store
        .take_step(
            up,
            wangge_core::wangge_events::Action::Escalate {
                note: "需要执法".into(),
            },
        )
        .unwrap();
    l.store
        .accept_report(handed, Limit::WorkingDays(3))
        .unwrap();
    l.store
        .hand_over_report(handed, user_id("m-wang"), "")
        .unwrap();
    sync_into(&mut l.store, &mut cm.store);
    cm.clock.set(nov(24, 10, 0));
    cm.store
        .take_step(
            up,
            wangge_core::wangge_events::Action::Escalate {
                note: "社区无执法权".into(),
            },
        )
        .unwrap();
    for t in [&mut m, &mut l, &mut c] {
        sync_into(&mut cm.store, &mut t.store);
    }

    let todo = |t: &TestStore| -> Vec<(ReportId, Vec<ActionKind>)> {
        t.store
            .my_tasks()
            .unwrap()
            .into_iter()
            .map(|task| (task.report, task.actions))
            .collect()
    };
    assert_eq!(
        todo(&l),
        [(waiting, vec![ActionKind::Accept, ActionKind::Escalate])]
    );
    assert_eq!(
        todo(&m),
        [(
            handed,
            vec![
                ActionKind::Progress,
                ActionKind::RequestDelay,
                ActionKind::Finish,
                ActionKind::SendBack
            ]
        )]
    );
    assert_eq!(
        todo(&c),
        [(up, vec![ActionKind::Dispatch, ActionKind::Supervise])]
    );
    assert!(todo(&cm).is_empty(), "{:?}", todo(&cm));
    let task = &c.store.my_tasks().unwrap()[0];
    assert_eq!((task.state, task.level), (State::Pending, Level::Centre));

    // The leader's acceptance clock on the waiting report runs out: it is overdue.
    l.clock.set(nov(25, 9, 0));
    let tasks = l.store.my_tasks().unwrap();
    assert_eq!(tasks[0].deadline.unwrap().mark, Mark::Overdue);

    // The lists come from the index: a reopened store lists the same.
    let lists = (todo(&l), todo(&m), todo(&c));
    let (l, m, c) = (l.reopen(), m.reopen(), c.reopen());
    assert_eq!((todo(&l), todo(&m), todo(&c)), lists);

    // Dispatching takes it off the centre's list and onto nobody's on these devices.
    let mut c = c;
    c.store
        .dispatch_report(
            up,
            Assignee::Department("cgj".into()),
            Limit::WorkingDays(5),
            "请城管处理",
        )
        .unwrap();
    assert!(todo(&c).is_empty());
    let d = c.store.event_detail(up).unwrap();
    assert_eq!(d.first_responsible, Some(user_id("c-qian")));
    let _: StepId = d.timeline[0].step;
}

#[test]
fn a_store_from_before_the_event_index_fills_it_on_open() {
    let mut l = leader();
    let r = file_with_photo(&mut l, "树枝压线");
    let before = l.store.my_tasks().unwrap();
    assert_eq!(before[0].report, r);
    let path = l.store.path().to_owned();
    let cfg = l.store.config().clone();
    let TestStore {
        store,
        key,
        dir: _dir,
        ..
    } = l;
    drop(store);
    // Take the file back to schema 6, as an older build left it.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\"; {}
             PRAGMA user_version = 6;",
            hex::encode(key.as_bytes()),
            drop_tables_after(6)
        ))
        .unwrap();
    }
    let store = Store::open(&path, &key, cfg).unwrap();
    assert_eq!(store.my_tasks().unwrap(), before);
}

#[test]
fn the_statistics_of_a_month_count_what_was_filed_closed_on_time_and_left_overdue() {
    let mut m = member();
    let mut l = leader();
    let mut c = acting("c-qian", Party::Centre, CENTRE);
    let mut far = acting("l-feng", Party::Leader, grid_b().as_str());
    m.clock.set(nov(24, 9, 0));
    let done = file_with_photo(&mut m, "楼道灯不亮");
    m.clock.set(nov(24, 10, 0));
    let open = file_with_photo(&mut m, "井盖缺失");
    sync_into(&mut m.store, &mut l.store);

    l.clock.set(nov(24, 11, 0));
    let wang = user_id("m-wang");
    for (r, days) in [(done, 3), (open, 1)] {
        l.store.accept_report(r, Limit::WorkingDays(days)).unwrap();
        l.store.hand_over_report(r, wang, "").unwrap();
    }
    sync_into(&mut l.store, &mut m.store);
    m.clock.set(nov(26, 10, 0));
    let after = photo(&mut m, "换灯之后");
    m.store.finish_report(done, "已更换", vec![after]).unwrap();
    sync_into(&mut m.store, &mut l.store);
    l.clock.set(nov(26, 11, 0));
    l.store.verify_report(done, "已核实").unwrap();
    sync_into(&mut l.store, &mut m.store);
    m.clock.set(nov(26, 15, 0));
    m.store.rate_report(done, Rating::Fair, "").unwrap();
    sync_into(&mut m.store, &mut l.store);
    sync_into(&mut l.store, &mut c.store);

    let november = Store::stats_period(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    )
    .unwrap();
    assert_eq!(november.to_ms, ms(nov(30, 0, 0)) + 86_400_000);
    let s = l.store.event_stats(november).unwrap();
    let t = &s.total;
    assert_eq!((t.reports, t.accepted, t.due), (2, 2, 2));
    assert_eq!((t.closed, t.closed_on_time, t.overdue), (1, 1, 1));
    assert_eq!((t.visits, t.satisfied), (1, 1));
    assert_eq!(
        (t.closure_rate().value(), t.satisfaction_rate().value()),
        (Some(0.5), Some(1.0))
    );
    // Accepted Tue 11:00, closed Thu 11:00: two days by the wall clock.
    assert_eq!(t.median_handling_ms, Some(2 * 86_400_000));
    assert_eq!(
        s.by_grid.keys().collect::<Vec<_>>(),
        [&grid_a().as_str().to_owned()]
    );
    assert_eq!(s.by_category.values().map(|f| f.reports).sum::<u32>(), 2);
    // The screen names the grid as the directory does, its code until the directory has it.
    let (first, last) = (
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    );
    assert_eq!(
        l.store.stats_view(first, last).unwrap().by_grid[0].name,
        grid_a().as_str()
    );
    let named = Unit::from_relay(grid_a().as_str(), " 第一网格 ").unwrap();
    assert_eq!(named.kind, UnitKind::Grid);
    assert!(
        Unit::from_relay("not-a-code", "x").is_none()
            && Unit::from_relay(grid_a().as_str(), " ").is_none()
    );
    l.store.replace_directory(&[named], &[]).unwrap();
    let view = l.store.stats_view(first, last).unwrap();
    assert_eq!(
        (view.by_grid[0].name.as_str(), view.total.figures.reports),
        ("第一网格", 2)
    );
    // The centre's copy counts the same; a leader of another grid holding the events
    // counts none of them.
    assert_eq!(c.store.event_stats(november).unwrap(), s);
    sync_into(&mut c.store, &mut far.store);
    assert_eq!(far.store.event_stats(november).unwrap().total.reports, 0);
    // December: nothing filed, the open one still overdue.
    let december = Store::stats_period(
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    )
    .unwrap();
    let t = l.store.event_stats(december).unwrap().total;
    assert_eq!((t.reports, t.overdue), (0, 1));

    let backwards = Store::stats_period(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
    );
    assert_eq!(
        backwards.unwrap_err().code(),
        wangge_core::ErrorCode::Invalid
    );
}
