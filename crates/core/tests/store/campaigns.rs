//! Roster campaigns (专项任务) between real stores: a community starts one over every
//! resident of a 300-resident grid; two members tick overlapping buildings offline and
//! sync in either order; every tick survives, nobody is counted twice, and the figures
//! equal a count made here by hand. Invented people; every store a real encrypted file.

use std::collections::{BTreeMap, BTreeSet};

use wangge_core::wangge_events::Party;
use wangge_core::*;

use crate::helpers::*;

const COMMUNITY: &str = "110105001001";

fn member() -> Person {
    enrolled(Role::Member, Party::Member, grid_a().as_str(), &[grid_a()])
}

/// 300 residents in 100 households of 5 buildings (20 flats each, 3 people a flat).
fn ledger(store: &mut Store) {
    for b in 1..=5 {
        for f in 1..=20 {
            let h = store
                .create_household(
                    &grid_a(),
                    &flat(&b.to_string(), "1", &format!("{:03}", 100 + f)),
                )
                .unwrap();
            for (i, rel) in [Relation::Head, Relation::Spouse, Relation::Child]
                .into_iter()
                .enumerate()
            {
                store
                    .add_resident(h, &person(&format!("居民{b}-{f}-{i}"), rel))
                    .unwrap();
            }
        }
    }
}

fn building_of(item: &RosterItem) -> char {
    // 幸福小区 N 栋 …: the building digit is the first digit of the address.
    item.address.chars().find(char::is_ascii_digit).unwrap()
}

#[test]
fn two_members_tick_overlapping_buildings_offline_and_nobody_is_counted_twice() {
    let mut community = enrolled(Role::ChiefLeader, Party::Community, COMMUNITY, &[]);
    let mut a = member();
    let mut b = member();
    ledger(&mut a.t.store);
    sync_into(&mut a.t.store, &mut b.t.store);
    sync_into(&mut a.t.store, &mut community.t.store);

    let id = community
        .t
        .store
        .start_campaign(&CampaignDraft {
            title: "全员核酸检测".into(),
            text: "今日18时前完成".into(),
            subject: Subject::Residents,
            grids: vec![grid_a().as_str().into()],
            due_hours: 9,
        })
        .unwrap();
    sync_into(&mut community.t.store, &mut a.t.store);
    sync_into(&mut community.t.store, &mut b.t.store);

    let roster = a.t.store.campaign_roster(id, None).unwrap();
    assert_eq!(roster.len(), 300);
    let addresses: Vec<&str> = roster.iter().map(|r| r.address.as_str()).collect();
    let mut sorted = addresses.clone();
    sorted.sort();
    assert_eq!(addresses, sorted, "address order");

    // A ticks buildings 1–3, B buildings 3–5, both offline; building 3 twice. Two of A's
    // are away (外出, with a reason); B marks one exempt. Everything else: done.
    let mut by_hand: BTreeMap<String, &str> = BTreeMap::new();
    let mut away = BTreeSet::new();
    for (n, item) in roster.iter().enumerate() {
        let s: uuid::Uuid = item.subject.parse().unwrap();
        let bld = building_of(item);
        if ('1'..='3').contains(&bld) {
            let (answer, note) = if n < 2 {
                ("away", "在外地上学")
            } else {
                ("done", "")
            };
            a.t.store
                .tick_campaign(id, s, answer, note, vec![])
                .unwrap();
            if n < 2 {
                away.insert(item.subject.clone());
            }
            by_hand.insert(item.subject.clone(), answer);
        }
        if ('3'..='5').contains(&bld) {
            let (answer, note) = if n == 299 {
                ("exempt", "卧床")
            } else {
                ("done", "")
            };
            b.t.store
                .tick_campaign(id, s, answer, note, vec![])
                .unwrap();
            by_hand.entry(item.subject.clone()).or_insert(answer);
        }
    }
    // An exception without its reason is refused, and so is an unknown answer.
    let s: uuid::Uuid = roster[5].subject.parse().unwrap();
    let e =
        a.t.store
            .tick_campaign(id, s, "away", " ", vec![])
            .unwrap_err();
    assert!(problems(&e).contains(&("note", ErrorCode::RequiredField)));
    let e =
        a.t.store
            .tick_campaign(id, s, "maybe", "", vec![])
            .unwrap_err();
    assert!(problems(&e).contains(&("answer", ErrorCode::InvalidValue)));

    // Sync in either order: both replicas and the community agree.
    sync_into(&mut b.t.store, &mut a.t.store);
    sync_into(&mut a.t.store, &mut b.t.store);
    sync_into(&mut b.t.store, &mut community.t.store);
    sync_into(&mut a.t.store, &mut community.t.store);
    let ra = a.t.store.campaign_roster(id, None).unwrap();
    let rb = b.t.store.campaign_roster(id, None).unwrap();
    assert_eq!(ra, rb);
    assert!(
        ra.iter().all(|r| r.tick.is_some()),
        "every one of the 300 ticked once"
    );

    // The figures, by hand: everyone reached but A's two away; exceptions: those two and
    // B's exempt one (which counts as done).
    assert_eq!(by_hand.len(), 300);
    let done = 300 - away.len();
    let view = community.t.store.campaign_view(id).unwrap();
    assert_eq!(view.role, CampaignRole::Creator);
    assert_eq!(
        view.total,
        Completion {
            total: 300,
            done,
            exceptions: 3,
            open: away.len()
        }
    );
    assert_eq!(view.by_grid.len(), 1);
    assert_eq!(view.by_community[0].code, COMMUNITY);
    assert_eq!(view.by_community[0].completion, view.total);
    let row = &a.t.store.campaigns().unwrap()[0];
    assert_eq!(
        (row.role, row.completion),
        (CampaignRole::Worker, view.total)
    );
    let open: Vec<&RosterItem> = ra.iter().filter(|r| !r.done).collect();
    assert_eq!(open.len(), 2);
    assert!(
        open.iter()
            .all(|r| away.contains(&r.subject) && r.tick.as_ref().unwrap().note == "在外地上学")
    );
}

#[test]
fn a_household_campaign_asks_proof_and_only_the_grid_ticks() {
    let mut centre = enrolled(Role::Centre, Party::Centre, "110105001", &[]);
    let mut a = member();
    let other = GridCode::parse("110105001001002").unwrap();
    let mut elsewhere = enrolled(
        Role::Member,
        Party::Member,
        other.as_str(),
        std::slice::from_ref(&other),
    );
    let h =
        a.t.store
            .create_household(&grid_a(), &flat("1", "1", "101"))
            .unwrap();
    a.t.store
        .add_resident(h, &person("陈一", Relation::Head))
        .unwrap();
    sync_into(&mut a.t.store, &mut centre.t.store);
    let e =
        a.t.store
            .start_campaign(&CampaignDraft {
                title: "物资发放".into(),
                text: String::new(),
                subject: Subject::Households,
                grids: vec![],
                due_hours: 24,
            })
            .unwrap_err();
    assert!(
        problems(&e).contains(&("grids", ErrorCode::ScopeWrongLevel)),
        "a member starts none"
    );
    let id = centre
        .t
        .store
        .start_campaign(&CampaignDraft {
            title: "防疫物资发放".into(),
            text: "每户一份".into(),
            subject: Subject::Households,
            grids: vec![],
            due_hours: 24,
        })
        .unwrap();
    sync_into(&mut centre.t.store, &mut a.t.store);
    sync_into(&mut centre.t.store, &mut elsewhere.t.store);
    let subject: uuid::Uuid = h.0;
    // Delivered needs a photo or the signature.
    let e =
        a.t.store
            .tick_campaign(id, subject, "delivered", "", vec![])
            .unwrap_err();
    assert!(problems(&e).contains(&("photos", ErrorCode::RequiredField)));
    let sig =
        a.t.store
            .put_blob(b"signature drawn on the screen", None)
            .unwrap()
            .hash;
    a.t.store
        .tick_campaign(id, subject, "delivered", "", vec![sig.clone()])
        .unwrap();
    let roster = a.t.store.campaign_roster(id, None).unwrap();
    assert_eq!(roster.len(), 1);
    assert_eq!(roster[0].name, "陈一");
    assert!(roster[0].done);
    // A member of another grid has no roster of grid A and cannot tick it.
    assert!(
        elsewhere
            .t
            .store
            .campaign_roster(id, None)
            .unwrap()
            .is_empty()
    );
    assert!(
        elsewhere
            .t
            .store
            .tick_campaign(id, subject, "delivered", "", vec![sig])
            .is_err()
    );
    sync_into(&mut a.t.store, &mut centre.t.store);
    let view = centre.t.store.campaign_view(id).unwrap();
    assert_eq!(
        view.total,
        Completion {
            total: 1,
            done: 1,
            exceptions: 0,
            open: 0
        }
    );
    centre.t.store.close_campaign(id).unwrap();
    sync_into(&mut centre.t.store, &mut a.t.store);
    assert!(a.t.store.campaigns().unwrap()[0].closed);
}

#[test]
fn present_and_away_tallies_count_the_ledger_and_the_latest_answers() {
    let mut community = enrolled(Role::ChiefLeader, Party::Community, COMMUNITY, &[]);
    let mut a = member();
    let h =
        a.t.store
            .create_household(&grid_a(), &flat("1", "1", "101"))
            .unwrap();
    let mut p = person("户籍甲", Relation::Head);
    let head = a.t.store.add_resident(h, &p).unwrap();
    p.name = "常住乙".into();
    p.relation = Some(Relation::Spouse);
    p.status = Some(ResidenceStatus::LongTerm);
    let spouse = a.t.store.add_resident(h, &p).unwrap();
    p.name = "流动丙".into();
    p.relation = Some(Relation::Tenant);
    p.status = Some(ResidenceStatus::Floating);
    let tenant = a.t.store.add_resident(h, &p).unwrap();
    sync_into(&mut a.t.store, &mut community.t.store);
    let before = community.t.store.presence().unwrap();
    assert_eq!(
        (
            before.total.total,
            before.total.registered,
            before.total.long_term,
            before.total.floating,
            before.total.away
        ),
        (3, 1, 1, 1, 0)
    );
    // Two campaigns: the spouse away in the first, back (done) in the second; the tenant
    // away in the second. Only the latest answer counts.
    let draft = |title: &str| CampaignDraft {
        title: title.into(),
        text: String::new(),
        subject: Subject::Residents,
        grids: vec![],
        due_hours: 8,
    };
    let first = community.t.store.start_campaign(&draft("第一轮")).unwrap();
    sync_into(&mut community.t.store, &mut a.t.store);
    a.t.store
        .tick_campaign(first, spouse.0, "away", "出差", vec![])
        .unwrap();
    a.t.store
        .tick_campaign(first, head.0, "done", "", vec![])
        .unwrap();
    a.t.clock.set(t0() + chrono::Duration::hours(30));
    community.t.clock.set(t0() + chrono::Duration::hours(29));
    let second = community.t.store.start_campaign(&draft("第二轮")).unwrap();
    sync_into(&mut community.t.store, &mut a.t.store);
    a.t.store
        .tick_campaign(second, spouse.0, "done", "", vec![])
        .unwrap();
    a.t.store
        .tick_campaign(second, tenant.0, "away", "回老家", vec![])
        .unwrap();
    sync_into(&mut a.t.store, &mut community.t.store);
    let view = community.t.store.presence().unwrap();
    let t = &view.total;
    assert_eq!((t.total, t.away, t.present), (3, 1, 2));
    assert_eq!(view.by_grid.len(), 1);
    assert_eq!(view.by_grid[0].code, grid_a().as_str());
    assert_eq!(view.by_community[0].code, COMMUNITY);
    assert_eq!(view.by_community[0].present, 2);
    // A member sees the same of its own grid.
    assert_eq!(a.t.store.presence().unwrap().total, view.total);
}
