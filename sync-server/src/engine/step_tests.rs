//! The relay refuses event steps a device's user may not write: a member closing an
//! event, a step written in another user's name, a role's step outside its unit, a stored
//! step rewritten, and any write of a centre of another division. What it takes is stored;
//! what it refuses never is.

use automerge::sync;
use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc, Value};
use wangge_events::{Action, Actor, Limit, Party, Severity, Step, StepId, Supervision};
use wangge_proto::{DocumentId, RefusalReason};
use wangge_schema::steps::{STEPS, read_steps, write_step};
use wangge_schema::{DocKind, Role, ScopeCode, genesis};

use super::refusal_tests::{join_wangge, sync_doc};
use super::tests::{GRID, enrolled};
use super::{EngineLimits, Hub};
use crate::engine::guard::load_chunks;
use crate::store::sqlite::SqliteStore;
use crate::store::{AccountStore, DeviceAuth};

const COMMUNITY: &str = "110105001001";
const STREET: &str = "110105001";
const OTHER_STREET: &str = "110105002";

struct People {
    hub: Hub,
    member: DeviceAuth,
    leader: DeviceAuth,
    centre: DeviceAuth,
    other_centre: DeviceAuth,
    next_conn: u64,
}

fn people() -> People {
    let mut store = SqliteStore::open_in_memory().unwrap();
    for code in [STREET, OTHER_STREET, COMMUNITY] {
        store
            .add_division(&ScopeCode::parse(code).unwrap(), code)
            .unwrap();
    }
    store
        .add_grid(&ScopeCode::parse(GRID).unwrap(), "g")
        .unwrap();
    let member = enrolled(&mut store, Role::Member, GRID, "member");
    let leader = enrolled(&mut store, Role::Leader, GRID, "leader");
    let centre = enrolled(&mut store, Role::Centre, STREET, "centre");
    let other_centre = enrolled(&mut store, Role::Centre, OTHER_STREET, "other");
    People {
        hub: Hub::new(
            Box::new(store),
            wangge_proto::PeerId::from("relay"),
            EngineLimits::default(),
        ),
        member,
        leader,
        centre,
        other_centre,
        next_conn: 1,
    }
}

/// `auth`'s user as a step's actor, as their device writes it.
fn actor(auth: &DeviceAuth, role: Party, unit: &str) -> Actor {
    Actor {
        user: auth.user.id,
        role,
        unit: unit.into(),
    }
}

fn step(actor: Actor, action: Action) -> Step {
    Step {
        id: StepId::random(),
        after: vec![],
        at_ms: 1_795_000_000_000,
        actor,
        action,
    }
}

fn file() -> Action {
    Action::File {
        category: "safety.fire".into(),
        severity: Severity::Normal,
        note: "楼道堆放杂物".into(),
        photos: vec!["ab".repeat(32)],
    }
}

/// A new dispatch document for a report of the grid, with its steps map.
fn dispatch_doc() -> (DocumentId, Automerge) {
    let id = DocumentId::random();
    let mut doc = genesis(
        &id,
        DocKind::Dispatch,
        &ScopeCode::parse(GRID).unwrap(),
        &[("report", "r-1")],
    )
    .unwrap();
    let mut tx = doc.transaction();
    tx.put_object(ROOT, STEPS, ObjType::Map).unwrap();
    tx.commit();
    (id, doc)
}

fn add_step(doc: &mut Automerge, step: &Step) {
    let mut tx = doc.transaction();
    write_step(&mut tx, step).unwrap();
    tx.commit();
}

/// The steps the relay stored for `id`.
fn stored_steps(hub: &Hub, id: &DocumentId) -> Vec<StepId> {
    let doc = load_chunks(&hub.store.doc_chunks(id).unwrap()).unwrap();
    let mut ids: Vec<StepId> = read_steps(&doc)
        .unwrap()
        .steps
        .iter()
        .map(|s| s.id)
        .collect();
    ids.sort();
    ids
}

impl People {
    /// A fresh connection of `who`'s device; returns its copy of `id` as the relay holds
    /// it (empty if the relay has none), its sync state, the connection and its peer.
    fn device(
        &mut self,
        who: &DeviceAuth,
        id: DocumentId,
    ) -> (Automerge, sync::State, u64, wangge_proto::PeerId) {
        let conn = self.next_conn;
        self.next_conn += 1;
        let (peer, _) = join_wangge(&mut self.hub, conn, who);
        let mut doc = Automerge::new();
        let mut state = sync::State::new();
        if self.hub.store.doc(&id).unwrap().is_some() {
            let round = sync_doc(&mut self.hub, conn, &peer, id, &mut doc, &mut state);
            assert_eq!(round.refusal(id), None);
        }
        (doc, state, conn, peer)
    }

    /// `who` writes `step` onto the relay's copy of `id` (or `new`, the document's
    /// first state) and syncs; returns the refusal, if any.
    fn write(
        &mut self,
        who: &DeviceAuth,
        id: DocumentId,
        new: Option<&Automerge>,
        edit: impl FnOnce(&mut Automerge),
    ) -> Option<RefusalReason> {
        let (mut doc, mut state, conn, peer) = self.device(who, id);
        if let Some(first) = new {
            doc = first.clone();
        }
        edit(&mut doc);
        let round = sync_doc(&mut self.hub, conn, &peer, id, &mut doc, &mut state);
        assert!(!round.closed, "the connection goes on");
        self.hub.disconnect(conn);
        round.refusal(id)
    }
}

#[test]
fn each_role_writes_only_the_steps_it_may_and_nothing_refused_is_stored() {
    let mut p = people();
    let (id, first) = dispatch_doc();
    let (member, leader, centre, other_centre) = (
        p.member.clone(),
        p.leader.clone(),
        p.centre.clone(),
        p.other_centre.clone(),
    );

    // The member files: taken.
    let filed = step(actor(&member, Party::Member, GRID), file());
    assert_eq!(
        p.write(&member, id, Some(&first), |d| add_step(d, &filed)),
        None
    );
    assert_eq!(stored_steps(&p.hub, &id), vec![filed.id]);

    // Forbidden, each for its own reason, none stored.
    let verify = Action::Verify {
        note: String::new(),
    };
    let accept = Action::Accept {
        limit: Limit::WorkingDays(5),
    };
    let forbidden = [
        // A member closing the event.
        (&member, step(actor(&member, Party::Member, GRID), verify)),
        // A member posing as their leader.
        (
            &member,
            step(actor(&leader, Party::Leader, GRID), accept.clone()),
        ),
        // A member calling themselves a leader.
        (
            &member,
            step(actor(&member, Party::Leader, GRID), accept.clone()),
        ),
        // A leader acting for another grid.
        (
            &leader,
            step(
                actor(&leader, Party::Leader, "110105001001002"),
                accept.clone(),
            ),
        ),
        // A centre accepting, which only a grid's leader does.
        (
            &centre,
            step(actor(&centre, Party::Centre, STREET), accept.clone()),
        ),
    ];
    for (who, s) in &forbidden {
        assert_eq!(
            p.write(who, id, None, |d| add_step(d, s)),
            Some(RefusalReason::StepForbidden),
            "{:?} by {:?}",
            s.action.kind(),
            s.actor.role
        );
    }
    assert_eq!(stored_steps(&p.hub, &id), vec![filed.id]);

    // A record under `steps` that is not a step, and a stored step rewritten.
    let junk = p.write(&member, id, None, |d| {
        let Some((Value::Object(ObjType::Map), steps)) = d.get(ROOT, STEPS).unwrap() else {
            panic!("no steps map");
        };
        let mut tx = d.transaction();
        tx.put(&steps, "not-a-step", "x").unwrap();
        tx.commit();
    });
    assert_eq!(junk, Some(RefusalReason::StepForbidden));
    let rewritten = p.write(&member, id, None, |d| {
        let Some((Value::Object(ObjType::Map), steps)) = d.get(ROOT, STEPS).unwrap() else {
            panic!("no steps map");
        };
        let Some((_, record)) = d.get(&steps, filed.id.to_string()).unwrap() else {
            panic!("no filed step");
        };
        let Some((_, action)) = d.get(&record, "action").unwrap() else {
            panic!("no action");
        };
        let mut tx = d.transaction();
        tx.put(&action, "note", "改过的描述").unwrap();
        tx.commit();
    });
    assert_eq!(rewritten, Some(RefusalReason::StepForbidden));

    // A centre of another division may not write the event at all.
    let supervise = Action::Supervise {
        level: Supervision::Yellow,
        note: "请尽快处理".into(),
    };
    let outside = step(
        actor(&other_centre, Party::Centre, OTHER_STREET),
        supervise.clone(),
    );
    // (It cannot read it either: its copy comes from elsewhere.)
    let copy = load_chunks(&p.hub.store.doc_chunks(&id).unwrap()).unwrap();
    assert_eq!(
        p.write(&other_centre, id, Some(&copy), |d| add_step(d, &outside)),
        Some(RefusalReason::ScopeForbidden)
    );
    assert_eq!(stored_steps(&p.hub, &id), vec![filed.id]);

    // What each may do is taken: the leader accepts, the division's centre supervises.
    let accepted = step(actor(&leader, Party::Leader, GRID), accept);
    assert_eq!(p.write(&leader, id, None, |d| add_step(d, &accepted)), None);
    let supervised = step(actor(&centre, Party::Centre, STREET), supervise);
    assert_eq!(
        p.write(&centre, id, None, |d| add_step(d, &supervised)),
        None
    );
    let mut want = vec![filed.id, accepted.id, supervised.id];
    want.sort();
    assert_eq!(stored_steps(&p.hub, &id), want);
    assert_eq!(p.hub.connections(), 0);
}

const DEPT: &str = "110105-cgj";
const OTHER_DEPT: &str = "110105-zjj";

/// A report document of the grid and its dispatch document (steps map, `report` naming
/// it), as a member's device creates them.
fn event_docs() -> ((DocumentId, Automerge), (DocumentId, Automerge)) {
    let report = uuid::Uuid::new_v4();
    let rid = DocumentId::from_uuid(report);
    let grid = ScopeCode::parse(GRID).unwrap();
    let report_doc = genesis(&rid, DocKind::Report, &grid, &[]).unwrap();
    let did = DocumentId::random();
    let mut dispatch = genesis(
        &did,
        DocKind::Dispatch,
        &grid,
        &[("report", report.to_string().as_str())],
    )
    .unwrap();
    let mut tx = dispatch.transaction();
    tx.put_object(ROOT, STEPS, ObjType::Map).unwrap();
    tx.commit();
    ((rid, report_doc), (did, dispatch))
}

/// The documents the relay offers `who` on joining with scope push.
fn offered(p: &mut People, who: &DeviceAuth) -> Vec<DocumentId> {
    let conn = p.next_conn;
    p.next_conn += 1;
    let push = [wangge_proto::FEATURE_SCOPE_PUSH];
    let (_, out) = super::tests::join_wangge_with(&mut p.hub, conn, who, &push);
    let mut ids: Vec<DocumentId> = out
        .iter()
        .filter_map(|o| match o {
            super::Output::Send { bytes, .. } => match wangge_proto::Message::decode(bytes) {
                Ok(wangge_proto::Message::Sync { document_id, .. }) => Some(document_id),
                _ => None,
            },
            _ => None,
        })
        .collect();
    p.hub.disconnect(conn);
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn a_department_reads_and_works_only_the_events_dispatched_to_it() {
    let mut p = people();
    let dept = {
        let store = p.hub.store.as_mut();
        let user = store
            .add_user("cgj", Role::Department, &[ScopeCode::parse(DEPT).unwrap()])
            .unwrap();
        store.add_enrollment_code(user, "cgj", i64::MAX).unwrap();
        let device = crate::store::NewDevice {
            device_id: uuid::Uuid::new_v4(),
            token_hash: "token-cgj".into(),
            label: String::new(),
        };
        store.redeem_enrollment_code("cgj", 0, &device).unwrap();
        store.authenticate("token-cgj").unwrap().unwrap()
    };
    let (member, centre) = (p.member.clone(), p.centre.clone());
    let ((rid, report), (did, dispatch)) = event_docs();
    let ((other_rid, other_report), (other_did, other_dispatch)) = event_docs();
    for (id, doc) in [
        (rid, &report),
        (other_rid, &other_report),
        (did, &dispatch),
        (other_did, &other_dispatch),
    ] {
        let filed = step(actor(&member, Party::Member, GRID), file());
        let edit = |d: &mut Automerge| {
            if d.get(ROOT, STEPS).unwrap().is_some() {
                add_step(d, &filed);
            }
        };
        assert_eq!(p.write(&member, id, Some(doc), edit), None);
    }
    // Nothing is given to the department yet: nothing offered, its steps refused.
    assert_eq!(offered(&mut p, &dept), vec![]);
    let progress = |unit: &str| {
        step(
            actor(&dept, Party::Department, unit),
            Action::Progress {
                note: "已到现场".into(),
                photos: vec![],
            },
        )
    };
    let copy = load_chunks(&p.hub.store.doc_chunks(&did).unwrap()).unwrap();
    let early = progress(DEPT);
    assert_eq!(
        p.write(&dept, did, Some(&copy), |d| add_step(d, &early)),
        Some(RefusalReason::ScopeForbidden)
    );

    // The centre dispatches the first event to the department.
    let dispatched = step(
        actor(&centre, Party::Centre, STREET),
        Action::Dispatch {
            to: wangge_events::Assignee::Department(DEPT.into()),
            limit: Limit::WorkingDays(5),
            note: "请城管处理".into(),
        },
    );
    assert_eq!(
        p.write(&centre, did, None, |d| add_step(d, &dispatched)),
        None
    );
    let dept_code = ScopeCode::parse(DEPT).unwrap();
    assert_eq!(
        p.hub.store.doc_grants(&did).unwrap(),
        vec![dept_code.clone()]
    );
    assert_eq!(p.hub.store.doc_grants(&rid).unwrap(), vec![dept_code]);
    assert_eq!(p.hub.store.doc_grants(&other_did).unwrap(), vec![]);
    let mut given = vec![rid, did];
    given.sort();
    assert_eq!(offered(&mut p, &dept), given);

    // It works the event as itself; not as another department, not on the report, not
    // on an event it was not given.
    let own = progress(DEPT);
    assert_eq!(p.write(&dept, did, None, |d| add_step(d, &own)), None);
    let posing = progress(OTHER_DEPT);
    assert_eq!(
        p.write(&dept, did, None, |d| add_step(d, &posing)),
        Some(RefusalReason::StepForbidden)
    );
    assert_eq!(
        p.write(&dept, rid, None, |d| {
            let mut tx = d.transaction();
            tx.put(ROOT, "note", "改报告").unwrap();
            tx.commit();
        }),
        Some(RefusalReason::KindForbidden)
    );
    let other_copy = load_chunks(&p.hub.store.doc_chunks(&other_did).unwrap()).unwrap();
    let elsewhere = progress(DEPT);
    assert_eq!(
        p.write(&dept, other_did, Some(&other_copy), |d| add_step(
            d, &elsewhere
        )),
        Some(RefusalReason::ScopeForbidden)
    );
    let stored = stored_steps(&p.hub, &did);
    assert!(stored.contains(&own.id) && !stored.contains(&posing.id) && stored.len() == 3);
    assert_eq!(stored_steps(&p.hub, &other_did).len(), 1);
    assert_eq!(p.hub.connections(), 0);
}
