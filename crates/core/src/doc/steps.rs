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
