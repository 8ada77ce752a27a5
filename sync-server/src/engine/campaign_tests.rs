//! Roster campaigns (专项任务) through the hub: a campaign is served downward like a
//! notice and written only by its creator, never rewritten; in a grid's results document
//! every tick a member adds or changes names that member, none is removed; and no
//! registered document may change its kind (which would put it under other rules).

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc, Value};
use uuid::Uuid;
use wangge_proto::{DocumentId, RefusalReason};
use wangge_schema::campaign::{
    CAMPAIGN, CAMPAIGN_ID_KEY, Campaign, Subject, Tick, read_results, results_doc_id, template,
    write_campaign, write_tick,
};
use wangge_schema::root::KIND_KEY;
use wangge_schema::{DocKind, GridCode, Role, genesis};

use super::notice_tests::{GRID, STREET, code, edit, stored, street};
use crate::store::DeviceAuth;

fn campaign(creator: &DeviceAuth) -> Campaign {
    let (options, common, proof) = template(Subject::Residents);
    Campaign {
        id: Uuid::new_v4(),
        creator: creator.user.id,
        creator_role: Role::Centre,
        unit: STREET.into(),
        title: "全员核酸".into(),
        text: String::new(),
        subject: Subject::Residents,
        options,
        common: common.into(),
        proof,
        grids: vec![],
        started_ms: 1_795_000_000_000,
        due_ms: 1_795_030_000_000,
    }
}

fn campaign_doc(c: &Campaign) -> (DocumentId, Automerge) {
    let id = DocumentId::from_uuid(c.id);
    let mut doc = genesis(&id, DocKind::Campaign, &code(STREET), &[]).unwrap();
    doc.set_actor(ActorId::random());
    edit(&mut doc, |tx| write_campaign(tx, c).unwrap());
    (id, doc)
}

fn results_doc(c: Uuid) -> (DocumentId, Automerge) {
    let grid = GridCode::parse(GRID).unwrap();
    let id = results_doc_id(c, &grid);
    let attr = c.to_string();
    let mut doc = genesis(
        &id,
        DocKind::CampaignResults,
        grid.scope(),
        &[(CAMPAIGN_ID_KEY, attr.as_str())],
    )
    .unwrap();
    doc.set_actor(ActorId::random());
    (id, doc)
}

fn tick(by: &DeviceAuth, answer: &str) -> Tick {
    Tick {
        answer: answer.into(),
        at_ms: 1_795_000_100_000,
        by: by.user.id,
        note: String::new(),
        photos: vec![],
    }
}

#[test]
fn a_campaign_reaches_the_street_and_each_tick_names_its_member() {
    let mut s = street();
    let (centre, centre2, a, b, far) = (
        s.centre.clone(),
        s.centre2.clone(),
        s.member_a.clone(),
        s.member_b.clone(),
        s.far.clone(),
    );
    let c = campaign(&centre);
    let (cid, cdoc) = campaign_doc(&c);
    // Only its creator starts it: a member may not write in the street, nor campaigns in
    // its own grid.
    assert_eq!(
        s.write(&a, cid, Some(&cdoc), |_| {}),
        Some(RefusalReason::ScopeForbidden)
    );
    let mut in_grid = campaign(&a);
    in_grid.unit = GRID.into();
    let gid = DocumentId::from_uuid(in_grid.id);
    let mut gdoc = genesis(&gid, DocKind::Campaign, &code(GRID), &[]).unwrap();
    edit(&mut gdoc, |tx| write_campaign(tx, &in_grid).unwrap());
    assert_eq!(
        s.write(&a, gid, Some(&gdoc), |_| {}),
        Some(RefusalReason::KindForbidden)
    );
    assert_eq!(
        s.write(&centre2, cid, Some(&cdoc), |_| {}),
        Some(RefusalReason::RecordForbidden)
    );
    assert_eq!(s.write(&centre, cid, Some(&cdoc), |_| {}), None);
    // Served downward: to the grid's members, not to another street's.
    assert!(s.offered(&a).contains(&cid));
    assert!(!s.offered(&far).contains(&cid));
    assert!(s.served(&a, cid).is_some());
    // Never rewritten.
    let rewritten = s.write(&centre, cid, None, |d| {
        let Some((Value::Object(ObjType::Map), obj)) = d.get(ROOT, CAMPAIGN).unwrap() else {
            panic!("no campaign");
        };
        edit(d, |tx| tx.put(&obj, "due_ms", 1_i64).unwrap());
    });
    assert_eq!(rewritten, Some(RefusalReason::RecordForbidden));

    // Ticks: A's and B's own are taken; A writing a tick in B's name is not, nor is
    // removing B's.
    let (rid, first) = results_doc(c.id);
    let (p1, p2, p3) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mine = tick(&a, "done");
    assert_eq!(
        s.write(&a, rid, Some(&first), |d| edit(d, |tx| write_tick(
            tx, p1, &mine
        )
        .unwrap())),
        None
    );
    let bs = tick(&b, "away");
    assert_eq!(
        s.write(&b, rid, None, |d| edit(d, |tx| write_tick(tx, p2, &bs)
            .unwrap())),
        None
    );
    let forged = tick(&b, "done");
    assert_eq!(
        s.write(&a, rid, None, |d| edit(d, |tx| write_tick(tx, p3, &forged)
            .unwrap())),
        Some(RefusalReason::RecordForbidden)
    );
    let removed = s.write(&a, rid, None, |d| {
        let Some((Value::Object(ObjType::Map), ticks)) = d.get(ROOT, "ticks").unwrap() else {
            panic!("no ticks");
        };
        edit(d, |tx| tx.delete(&ticks, p2.to_string().as_str()).unwrap());
    });
    assert_eq!(removed, Some(RefusalReason::RecordForbidden));
    // A member correcting a tick writes it as their own: taken.
    let corrected = tick(&a, "done");
    assert_eq!(
        s.write(&a, rid, None, |d| edit(d, |tx| write_tick(
            tx, p2, &corrected
        )
        .unwrap())),
        None
    );
    let kept = read_results(&stored(&s.hub, &rid));
    assert_eq!(kept.ticks.len(), 2);
    assert!(kept.ticks.iter().all(|(_, t)| t.by == a.user.id));
    // The creator reads the grid's results.
    assert!(s.served(&centre, rid).is_some());
}

#[test]
fn a_registered_document_never_changes_its_kind() {
    let mut s = street();
    let (centre, a) = (s.centre.clone(), s.member_a.clone());
    let c = campaign(&centre);
    let (rid, first) = results_doc(c.id);
    let t = tick(&a, "done");
    assert_eq!(
        s.write(&a, rid, Some(&first), |d| edit(d, |tx| write_tick(
            tx,
            Uuid::new_v4(),
            &t
        )
        .unwrap())),
        None
    );
    // Declared a household now (whose records nobody checks): refused, nothing stored.
    let before = stored(&s.hub, &rid).get_heads();
    let changed = s.write(&a, rid, None, |d| {
        edit(d, |tx| tx.put(ROOT, KIND_KEY, "household").unwrap())
    });
    assert_eq!(changed, Some(RefusalReason::KindForbidden));
    assert_eq!(stored(&s.hub, &rid).get_heads(), before);
}
