//! Notices (通知) and receipts (回执) between real stores: a street's centre sends a 特急
//! notice to two grids, the members' receipts move on offline on their own clocks, the
//! centre follows them and reminds only who has not confirmed; a 寻人 alert gets a clue.
//! Invented people; every store a real encrypted file.

use chrono::Duration;
use wangge_core::wangge_events::Party;
use wangge_core::*;

use crate::helpers::*;

const STREET: &str = "110105001";

fn member(grid: GridCode) -> Person {
    let unit = grid.as_str().to_owned();
    enrolled(Role::Member, Party::Member, &unit, &[grid])
}

fn centre() -> Person {
    enrolled(Role::Centre, Party::Centre, STREET, &[])
}

fn knows(centre: &mut Person, people: &[(&Person, &str, Role, &GridCode)]) {
    let people: Vec<store::DirectoryPerson> = people
        .iter()
        .map(|(p, name, role, grid)| store::DirectoryPerson {
            id: p.id,
            name: (*name).into(),
            role: *role,
            scopes: vec![grid.as_str().into()],
        })
        .collect();
    centre.t.store.replace_directory(&[], &people).unwrap();
}

fn draft(grids: &[GridCode], priority: Priority) -> NoticeDraft {
    NoticeDraft {
        sort: NoticeSort::Notice,
        priority,
        title: "暴雨预警".into(),
        text: "今晚有暴雨,请排查地下室和低洼处。".into(),
        photos: vec![],
        grids: grids.iter().map(|g| g.as_str().to_owned()).collect(),
        audience: Audience::Members,
        ack_minutes: None,
        person: None,
    }
}

fn later(p: &Person, minutes: i64) {
    p.t.clock.set(t0() + Duration::minutes(minutes));
}

fn sync(from: &mut Person, to: &mut Person) {
    sync_into(&mut from.t.store, &mut to.t.store);
}

fn entry<'a>(d: &'a NoticeDetail, who: &Person) -> &'a RosterEntry {
    let id = who.id.to_string();
    d.roster.iter().find(|e| e.user == id).unwrap()
}

#[test]
fn receipts_move_on_offline_and_the_centre_reminds_only_who_has_not_confirmed() {
    let mut c = centre();
    let mut a = member(grid_a());
    let mut b = member(grid_c());
    let mut elsewhere = member(grid_b());
    knows(
        &mut c,
        &[
            (&a, "网格员甲", Role::Member, &grid_a()),
            (&b, "网格员乙", Role::Member, &grid_c()),
            (&elsewhere, "网格员丙", Role::Member, &grid_b()),
        ],
    );
    let id =
        c.t.store
            .send_notice(&draft(&[grid_a(), grid_c()], Priority::Critical))
            .unwrap();

    // The notice reaches both members' devices: each writes 已送达 on arrival, and the
    // 特急 one asks to be acknowledged.
    later(&a, 1);
    sync(&mut c, &mut a);
    later(&b, 2);
    sync(&mut c, &mut b);
    sync(&mut c, &mut elsewhere);
    assert!(
        elsewhere.t.store.notices().unwrap().is_empty(),
        "grid B was not sent it"
    );
    let rows = a.t.store.notices().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].role, rows[0].mine),
        (NoticeRole::Recipient, ReceiptState::Delivered)
    );
    assert_eq!(a.t.store.notices_to_acknowledge().unwrap().len(), 1);
    assert_eq!(
        rows[0].ack_by_ms,
        Some(ms(t0()) + 10 * 60_000),
        "特急: 10 minutes"
    );

    // A opens and confirms at once; B (offline from here) opens it at minute 5.
    later(&a, 3);
    a.t.store.confirm_notice(id, "已收到,马上排查").unwrap();
    assert!(a.t.store.notices_to_acknowledge().unwrap().is_empty());
    later(&b, 5);
    let seen = b.t.store.notice_detail(id).unwrap();
    assert_eq!(seen.mine_state, ReceiptState::Read);
    assert!(seen.roster.is_empty(), "a recipient sees no roster");

    // The centre has A's receipts only.
    sync(&mut a, &mut c);
    later(&c, 7);
    let d = c.t.store.notice_detail(id).unwrap();
    assert_eq!(d.role, NoticeRole::Sender);
    assert_eq!(
        d.counts,
        ReceiptCounts {
            total: 2,
            delivered: 1,
            read: 1,
            confirmed: 1
        }
    );
    let ea = entry(&d, &a);
    assert_eq!(ea.state, ReceiptState::Confirmed);
    assert_eq!(ea.confirmed_ms, Some(ms(t0()) + 3 * 60_000), "A's own time");
    assert_eq!(ea.reply.as_deref(), Some("已收到,马上排查"));
    assert_eq!(ea.name.as_deref(), Some("网格员甲"));
    assert_eq!(entry(&d, &b).state, ReceiptState::Pending);
    assert_eq!(
        d.roster[0].user,
        b.id.to_string(),
        "who has not confirmed comes first"
    );

    // 一键催收 names only B.
    assert_eq!(c.t.store.remind_notice(id).unwrap(), 1);
    sync(&mut c, &mut a);
    sync(&mut c, &mut b);
    assert!(!a.t.store.notices().unwrap()[0].reminded);
    assert!(b.t.store.notices().unwrap()[0].reminded);
    assert!(entry(&c.t.store.notice_detail(id).unwrap(), &b).reminded);

    // Past the deadline, B still unknown to the centre: overdue.
    later(&c, 11);
    assert!(c.t.store.notices().unwrap()[0].overdue);

    // B confirms offline at minute 8 of its own clock and comes back at minute 20.
    later(&b, 8);
    b.t.store.confirm_notice(id, "").unwrap();
    later(&c, 20);
    sync(&mut b, &mut c);
    let d = c.t.store.notice_detail(id).unwrap();
    assert_eq!(d.counts.confirmed, 2);
    let eb = entry(&d, &b);
    assert_eq!(
        eb.confirmed_ms,
        Some(ms(t0()) + 8 * 60_000),
        "B's own time, not the sync's"
    );
    assert_eq!(eb.read_ms, Some(ms(t0()) + 5 * 60_000));
    assert_eq!(eb.delivered_ms, Some(ms(t0()) + 2 * 60_000));
    assert!(!c.t.store.notices().unwrap()[0].overdue);
    assert_eq!(
        c.t.store.remind_notice(id).unwrap(),
        0,
        "nobody left to remind"
    );

    // Re-syncing everything in any order changes nothing.
    sync(&mut a, &mut b);
    sync(&mut b, &mut a);
    sync(&mut a, &mut c);
    assert_eq!(c.t.store.notice_detail(id).unwrap(), d);
}

#[test]
fn a_missing_person_alert_gets_a_clue_with_a_photo_and_closes_for_everyone() {
    let mut c = centre();
    let mut a = member(grid_a());
    knows(&mut c, &[(&a, "网格员甲", Role::Member, &grid_a())]);
    let photo =
        c.t.store
            .put_blob(b"photo of the missing person", None)
            .unwrap()
            .hash;
    let mut d = draft(&[], Priority::Critical);
    d.sort = NoticeSort::MissingPerson;
    d.title = "寻找走失老人".into();
    d.photos = vec![photo.clone()];
    d.person = Some(MissingPerson {
        name: "赵某某".into(),
        description: "78岁,灰色外套".into(),
        last_seen_place: "建外街道东门".into(),
        last_seen_ms: ms(t0()) - 3_600_000,
        contact: "指挥中心".into(),
    });
    // 寻人 needs its person.
    let mut no_person = d.clone();
    no_person.person = None;
    let e = c.t.store.send_notice(&no_person).unwrap_err();
    assert!(problems(&e).contains(&("person", ErrorCode::RequiredField)));
    // Sent to the whole street (no grids named): it reaches grid A.
    let id = c.t.store.send_notice(&d).unwrap();
    sync(&mut c, &mut a);
    assert_eq!(
        a.t.store.photos_to_fetch().unwrap(),
        vec![photo],
        "the alert's photo is fetched"
    );
    later(&a, 4);
    let seen =
        a.t.store
            .put_blob(b"photo of a sighting", None)
            .unwrap()
            .hash;
    a.t.store
        .send_clue(
            id,
            "公园长椅上见到相似老人",
            "日坛公园北门",
            vec![seen.clone()],
        )
        .unwrap();
    let e = a.t.store.send_clue(id, "  ", "", vec![]).unwrap_err();
    assert!(problems(&e).contains(&("text", ErrorCode::RequiredField)));
    sync(&mut a, &mut c);
    let view = c.t.store.notice_detail(id).unwrap();
    assert_eq!(view.clues.len(), 1);
    assert_eq!(view.clues[0].by_name.as_deref(), Some("网格员甲"));
    assert_eq!(view.clues[0].clue.photos, vec![seen]);
    assert_eq!(view.clues[0].grid, grid_a().as_str());

    c.t.store.close_notice(id, "已找到,谢谢大家").unwrap();
    sync(&mut c, &mut a);
    let row = &a.t.store.notices().unwrap()[0];
    assert!(row.closed);
    assert!(
        a.t.store.notices_to_acknowledge().unwrap().is_empty(),
        "a closed alert asks nothing"
    );
}

#[test]
fn only_leaders_and_above_send_and_only_within_their_unit() {
    let mut a = member(grid_a());
    let e =
        a.t.store
            .send_notice(&draft(&[grid_a()], Priority::Normal))
            .unwrap_err();
    assert!(problems(&e).contains(&("grids", ErrorCode::ScopeWrongLevel)));
    let mut c = centre();
    let other_street = GridCode::parse("110105002001001").unwrap();
    let e =
        c.t.store
            .send_notice(&draft(&[other_street], Priority::Normal))
            .unwrap_err();
    assert!(problems(&e).contains(&("grids", ErrorCode::ScopeWrongLevel)));
    let mut empty = draft(&[grid_a()], Priority::Normal);
    empty.title = " ".into();
    let e = c.t.store.send_notice(&empty).unwrap_err();
    assert!(problems(&e).contains(&("title", ErrorCode::RequiredField)));
    assert!(
        c.t.store.notices().unwrap().is_empty(),
        "nothing was written"
    );
    // A member may not remind or close another's notice.
    let id =
        c.t.store
            .send_notice(&draft(&[grid_a()], Priority::Urgent))
            .unwrap();
    sync(&mut c, &mut a);
    assert!(a.t.store.remind_notice(id).is_err());
    assert!(a.t.store.close_notice(id, "").is_err());
    assert_eq!(a.t.store.notices_unconfirmed().unwrap(), 1);
    assert!(
        a.t.store.notices_to_acknowledge().unwrap().is_empty(),
        "紧急 asks no banner"
    );
}

fn ms(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp_millis()
}

#[test]
fn an_urgent_notice_is_announced_once_and_again_after_each_reminder() {
    let mut c = centre();
    let mut a = member(grid_a());
    knows(&mut c, &[(&a, "网格员甲", Role::Member, &grid_a())]);
    let normal =
        c.t.store
            .send_notice(&draft(&[grid_a()], Priority::Normal))
            .unwrap();
    let critical =
        c.t.store
            .send_notice(&draft(&[grid_a()], Priority::Critical))
            .unwrap();
    sync(&mut c, &mut a);
    let ids = |rows: Vec<NoticeRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(a.t.store.notices_to_alert().unwrap()),
        vec![critical.to_string()]
    );
    assert!(a.t.store.notices_to_alert().unwrap().is_empty(), "once");
    // A reminder of the normal one announces it; of the critical one, again.
    c.t.store.remind_notice(normal).unwrap();
    c.t.store.remind_notice(critical).unwrap();
    sync(&mut c, &mut a);
    let mut again = ids(a.t.store.notices_to_alert().unwrap());
    again.sort();
    let mut want = vec![normal.to_string(), critical.to_string()];
    want.sort();
    assert_eq!(again, want);
    // Confirmed: a later reminder does not reach it (the centre reminds only the open).
    a.t.store.confirm_notice(critical, "").unwrap();
    sync(&mut a, &mut c);
    assert_eq!(c.t.store.remind_notice(critical).unwrap(), 0);
    assert!(a.t.store.notices_to_alert().unwrap().is_empty());
}
