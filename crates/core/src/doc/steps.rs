//! The steps of an event (环节, [`wangge_events::Step`]) in its dispatch document.
//!
//! Each step is one map under the root `steps` map, keyed by the step's UUID, holding the
//! step's JSON form as plain automerge values (maps, lists of an immutable step, strings,
//! integers). A step is written once, by one change, and never edited, so two devices that
//! take steps offline both keep theirs.
//!
//! The `steps` map itself is not in the dispatch genesis (devices in the field share that
//! genesis as it is), so it is created by a second fixed change: fixed actor derived from
//! the document id, time 0, depending on the genesis alone. Every device that creates it
//! writes the same bytes, so the map is one object everywhere and no device's steps hide
//! another's.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, Change, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use serde_json::{Map, Number, Value as Json};
use wangge_events::Step;
use wangge_proto::DocumentId;
use wangge_schema::{DocKind, ScopeCode, derived, genesis};

use super::{root_str, scope_of};
use crate::error::{CoreError, Result};

/// The root key of the steps map.
pub(crate) const STEPS: &str = "steps";

/// The root key naming the report a dispatch document belongs to.
pub(crate) const REPORT_KEY: &str = "report";

/// Deepest nesting read back from a step (a step's JSON is three levels deep).
const MAX_DEPTH: usize = 8;

/// What the steps map of a document holds: the steps that parse, and how many do not.
#[derive(Debug, Default)]
pub(crate) struct StoredSteps {
    /// Steps, in key order.
    pub steps: Vec<Step>,
    /// Records under `steps` that are not a step (from a newer app, or damaged), kept in
    /// the document and left out of the derivation.
    pub unreadable: usize,
}

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

/// Writes `step` as a new record of the steps map (which must exist).
pub(crate) fn write_step(tx: &mut impl Transactable, step: &Step) -> Result<()> {
    let steps = match tx.get(ROOT, STEPS)? {
        Some((Value::Object(ObjType::Map), obj)) => obj,
        _ => {
            return Err(CoreError::Document(
                "dispatch document has no steps map".into(),
            ));
        }
    };
    let key = step.id.to_string();
    if tx.get(&steps, key.as_str())?.is_some() {
        return Err(CoreError::Document("a step with this id is stored".into()));
    }
    let json = serde_json::to_value(step).map_err(CoreError::doc)?;
    let Json::Object(fields) = json else {
        return Err(CoreError::Document("a step is not a JSON object".into()));
    };
    let obj = tx.put_object(&steps, key.as_str(), ObjType::Map)?;
    write_map(tx, &obj, &fields)
}

fn write_map(tx: &mut impl Transactable, obj: &ObjId, fields: &Map<String, Json>) -> Result<()> {
    for (k, v) in fields {
        match v {
            Json::Object(m) => {
                let child = tx.put_object(obj, k.as_str(), ObjType::Map)?;
                write_map(tx, &child, m)?;
            }
            Json::Array(items) => {
                let child = tx.put_object(obj, k.as_str(), ObjType::List)?;
                write_list(tx, &child, items)?;
            }
            scalar => tx.put(obj, k.as_str(), to_scalar(scalar))?,
        }
    }
    Ok(())
}

fn write_list(tx: &mut impl Transactable, obj: &ObjId, items: &[Json]) -> Result<()> {
    for (i, v) in items.iter().enumerate() {
        match v {
            Json::Object(m) => {
                let child = tx.insert_object(obj, i, ObjType::Map)?;
                write_map(tx, &child, m)?;
            }
            Json::Array(inner) => {
                let child = tx.insert_object(obj, i, ObjType::List)?;
                write_list(tx, &child, inner)?;
            }
            scalar => tx.insert(obj, i, to_scalar(scalar))?,
        }
    }
    Ok(())
}

fn to_scalar(v: &Json) -> ScalarValue {
    match v {
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => ScalarValue::Int(i),
            (None, Some(u), _) => ScalarValue::Uint(u),
            (None, None, Some(f)) => ScalarValue::F64(f),
            _ => ScalarValue::Null,
        },
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Null | Json::Object(_) | Json::Array(_) => ScalarValue::Null,
    }
}

/// Every step of a dispatch document (none when it has no steps map yet).
pub(crate) fn read_steps(doc: &impl ReadDoc) -> Result<StoredSteps> {
    let mut out = StoredSteps::default();
    let steps = match doc.get(ROOT, STEPS)? {
        Some((Value::Object(ObjType::Map), obj)) => obj,
        _ => return Ok(out),
    };
    for key in doc.keys(&steps) {
        let parsed = match doc.get(&steps, key.as_str())? {
            Some((Value::Object(ObjType::Map), obj)) => read_value(doc, &obj, ObjType::Map, 0)
                .and_then(|json| serde_json::from_value::<Step>(json).ok())
                .filter(|step| step.id.to_string() == key),
            _ => None,
        };
        match parsed {
            Some(step) => out.steps.push(step),
            None => out.unreadable += 1,
        }
    }
    Ok(out)
}

/// The JSON form of object `obj`; `None` if it holds what a step never does.
fn read_value(doc: &impl ReadDoc, obj: &ObjId, kind: ObjType, depth: usize) -> Option<Json> {
    if depth > MAX_DEPTH {
        return None;
    }
    let child = |v: Value<'_>, id: ObjId| -> Option<Json> {
        match v {
            Value::Scalar(s) => from_scalar(&s),
            Value::Object(t @ (ObjType::Map | ObjType::List)) => read_value(doc, &id, t, depth + 1),
            Value::Object(_) => None,
        }
    };
    match kind {
        ObjType::Map => {
            let mut map = Map::new();
            for key in doc.keys(obj) {
                let (v, id) = doc.get(obj, key.as_str()).ok()??;
                map.insert(key, child(v, id)?);
            }
            Some(Json::Object(map))
        }
        ObjType::List => {
            let mut items = Vec::new();
            for i in 0..doc.length(obj) {
                let (v, id) = doc.get(obj, i).ok()??;
                items.push(child(v, id)?);
            }
            Some(Json::Array(items))
        }
        _ => None,
    }
}

fn from_scalar(s: &ScalarValue) -> Option<Json> {
    Some(match s {
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Int(i) => Json::Number((*i).into()),
        ScalarValue::Uint(u) => Json::Number((*u).into()),
        ScalarValue::F64(f) => Json::Number(Number::from_f64(*f)?),
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Null => Json::Null,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;
    use wangge_events::{
        Action, Actor, Assignee, Limit, Party, Rating, Settlement, Severity, StepId, Supervision,
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
