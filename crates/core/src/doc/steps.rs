//! The steps of an event (环节, [`wangge_events::Step`]) in its dispatch document: the
//! encoding is the contract's ([`wangge_schema::steps`], which the relay checks); the
//! device's part here is the steps map itself.
//!
//! The `steps` map itself is not in the dispatch genesis (devices in the field share that
//! genesis as it is), so it is created by a second fixed change: fixed actor derived from
//! the document id, time 0, depending on the genesis alone. Every device that creates it
//! writes the same bytes, so the map is one object everywhere and no device's steps hide
//! another's.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, Change, ObjType, ROOT, ReadDoc, Value};
use wangge_proto::DocumentId;
pub(crate) use wangge_schema::steps::{REPORT_KEY, STEPS, StoredSteps, read_steps, write_step};
use wangge_schema::{DocKind, ScopeCode, derived, genesis};

use super::{root_str, scope_of};
use crate::error::{CoreError, Result};

/// The fixed actor of the change that creates a dispatch document's steps map.
fn steps_actor(id: &DocumentId) -> ActorId {
    let actor = derived(&format!("actor/dispatch-steps/{id}"));
    ActorId::from(actor.as_bytes().as_slice())
}

/// The change that creates the steps map of dispatch document `id` (of `scope`, for
/// `report`): the same bytes on every device.
fn steps_change(id: &DocumentId, scope: &ScopeCode, report: &str) -> Result<Change> {
    let mut doc = genesis(id, DocKind::Dispatch, scope, &[(REPORT_KEY, report)])?;
    doc.set_actor(steps_actor(id));
    let mut tx = doc.transaction();
    tx.put_object(ROOT, STEPS, ObjType::Map)?;
    tx.commit_with(CommitOptions::default().with_time(0));
    doc.get_last_local_change()
        .ok_or_else(|| CoreError::Document("steps map change not made".into()))
}

/// Gives dispatch document `id` its steps map, if it has none yet, by the shared change.
pub(crate) fn ensure_steps_map(doc: &mut Automerge, id: &DocumentId) -> Result<()> {
    if matches!(
        doc.get(ROOT, STEPS)?,
        Some((Value::Object(ObjType::Map), _))
    ) {
        return Ok(());
    }
    let scope = ScopeCode::parse(&scope_of(&*doc)?)
        .map_err(|e| CoreError::Document(format!("dispatch scope: {e}")))?;
    let report = root_str(&*doc, REPORT_KEY)?;
    let change = steps_change(id, &scope, &report)?;
    if change
        .deps()
        .iter()
        .any(|d| doc.get_change_by_hash(d).is_none())
    {
        return Err(CoreError::Document(
            "dispatch document does not start from the shared genesis".into(),
        ));
    }
    doc.apply_changes([change])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;
    use wangge_events::{
        Action, Actor, Assignee, Limit, Party, Rating, Settlement, Severity, Step, StepId,
        Supervision,
    };

    use super::*;

    fn dispatch_doc(report: &str) -> (DocumentId, Automerge) {
        let id = wangge_schema::period_doc_id(DocKind::Dispatch, report);
        let scope = ScopeCode::parse("110105001001001").expect("a grid code");
        let doc =
            genesis(&id, DocKind::Dispatch, &scope, &[(REPORT_KEY, report)]).expect("genesis");
        (id, doc)
    }

    #[test]
    fn every_action_round_trips_through_the_steps_map() {
        let (id, mut doc) = dispatch_doc("r-1");
        ensure_steps_map(&mut doc, &id).expect("steps map");
        let photo = "ab".repeat(32);
        let actions = vec![
            Action::File {
                category: "safety.fire".into(),
                severity: Severity::Urgent,
                note: "楼道堆放杂物".into(),
                photos: vec![photo.clone()],
            },
            Action::Accept {
                limit: Limit::WorkingHours(4),
            },
            Action::Escalate {
                note: "需要执法".into(),
            },
            Action::Dispatch {
                to: Assignee::Grid("110105001001002".into()),
                limit: Limit::WorkingDays(3),
                note: String::new(),
            },
            Action::HandOver {
                member: Uuid::from_u128(5),
                note: "请处理".into(),
            },
            Action::Progress {
                note: "已联系".into(),
                photos: vec![],
            },
            Action::RequestDelay {
                days: 30,
                reason: "等待配件".into(),
            },
            Action::ApproveDelay,
            Action::RejectDelay {
                reason: "不需要".into(),
            },
            Action::Finish {
                note: "已清理".into(),
                photos: vec![photo.clone(), "cd".repeat(32)],
            },
            Action::Verify {
                note: String::new(),
            },
            Action::RejectCheck {
                reason: "仍有杂物".into(),
            },
            Action::SendBack {
                reason: "不属于本部门".into(),
            },
            Action::Supervise {
                level: Supervision::Red,
                note: String::new(),
            },
            Action::Rate {
                rating: Rating::Unsatisfied,
                note: "仍有异味".into(),
            },
            Action::Settle {
                conflict: StepId(Uuid::from_u128(9)),
                decision: Settlement::Reapply,
            },
        ];
        let mut written: Vec<Step> = actions
            .into_iter()
            .enumerate()
            .map(|(i, action)| Step {
                id: StepId(Uuid::from_u128(100 + i as u128)),
                after: if i == 0 {
                    vec![]
                } else {
                    vec![
                        StepId(Uuid::from_u128(99 + i as u128)),
                        StepId(Uuid::from_u128(1)),
                    ]
                },
                at_ms: 1_795_000_000_000 + i as i64,
                actor: Actor {
                    user: Uuid::from_u128(i as u128),
                    role: Party::Centre,
                    unit: "110105".into(),
                },
                action,
            })
            .collect();
        let mut tx = doc.transaction();
        for step in &written {
            write_step(&mut tx, step).expect("written");
        }
        tx.commit();
        let mut read = read_steps(&doc).expect("read");
        assert_eq!(read.unreadable, 0);
        written.sort_by_key(|s| s.id);
        read.steps.sort_by_key(|s| s.id);
        assert_eq!(read.steps, written);
    }

    #[test]
    fn the_steps_map_is_the_same_change_on_every_device_and_a_stray_record_is_unreadable() {
        let (id, mut a) = dispatch_doc("r-2");
        let (_, mut b) = dispatch_doc("r-2");
        ensure_steps_map(&mut a, &id).expect("steps map");
        ensure_steps_map(&mut b, &id).expect("steps map");
        assert_eq!(a.get_heads(), b.get_heads());
        // Made twice on one device, it is still the one change.
        ensure_steps_map(&mut a, &id).expect("steps map");
        assert_eq!(a.get_heads(), b.get_heads());

        let steps = match a.get(ROOT, STEPS).expect("read") {
            Some((Value::Object(ObjType::Map), obj)) => obj,
            _ => panic!("no steps map"),
        };
        let mut tx = a.transaction();
        tx.put(&steps, "not-a-step", "x").expect("put");
        let forged = tx
            .put_object(&steps, Uuid::nil().to_string(), ObjType::Map)
            .expect("map");
        tx.put(&forged, "kind", "file").expect("put");
        tx.commit();
        let read = read_steps(&a).expect("read");
        assert_eq!((read.steps.len(), read.unreadable), (0, 2));
    }

    #[test]
    fn a_dispatch_document_of_another_genesis_gets_no_steps_map() {
        let (id, _) = dispatch_doc("r-3");
        let (_, mut other) = dispatch_doc("r-4");
        let e = ensure_steps_map(&mut other, &id).expect_err("refused");
        assert!(e.to_string().contains("shared genesis"), "{e}");
    }
}
