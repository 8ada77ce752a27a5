//! The steps of an event (环节, [`wangge_events::Step`]) as its dispatch document holds
//! them: the encoding the device writes and the relay reads back to check who wrote what
//! ([`crate::step_access`]).
//!
//! Each step is one map under the root `steps` map, keyed by the step's UUID, holding the
//! step's JSON form as plain automerge values (maps, lists, strings, integers). A step is
//! written once, by one change, and never edited, so two devices that take steps offline
//! both keep theirs.

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use serde_json::{Map, Number, Value as Json};
use wangge_events::{Step, StepId};

/// The root key of the steps map.
pub const STEPS: &str = "steps";

/// The root key naming the report a dispatch document belongs to.
pub const REPORT_KEY: &str = "report";

/// Deepest nesting read back from a step (a step's JSON is three levels deep).
const MAX_DEPTH: usize = 8;

/// What the steps map of a document holds: the steps that parse, and how many do not.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct StoredSteps {
    /// Steps, in key order.
    pub steps: Vec<Step>,
    /// Records under `steps` that are not a step (from a newer app, or damaged), kept in
    /// the document and left out of the derivation.
    pub unreadable: usize,
}

/// Why a step could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StepsError {
    /// The document has no steps map (not a dispatch document made for steps).
    #[error("dispatch document has no steps map")]
    NoStepsMap,
    /// A step with this id is stored already (steps are never rewritten).
    #[error("a step with id {0} is stored")]
    Duplicate(StepId),
    /// The step's JSON form is not an object (cannot happen for a [`Step`]).
    #[error("a step is not a JSON object")]
    NotAnObject,
    /// automerge refused the operation.
    #[error(transparent)]
    Automerge(#[from] AutomergeError),
}

/// Writes `step` as a new record of the steps map (which must exist).
pub fn write_step(tx: &mut impl Transactable, step: &Step) -> Result<(), StepsError> {
    let steps = match tx.get(ROOT, STEPS)? {
        Some((Value::Object(ObjType::Map), obj)) => obj,
        _ => return Err(StepsError::NoStepsMap),
    };
    let key = step.id.to_string();
    if tx.get(&steps, key.as_str())?.is_some() {
        return Err(StepsError::Duplicate(step.id));
    }
    let Ok(Json::Object(fields)) = serde_json::to_value(step) else {
        return Err(StepsError::NotAnObject);
    };
    let obj = tx.put_object(&steps, key.as_str(), ObjType::Map)?;
    write_map(tx, &obj, &fields)
}

fn write_map(
    tx: &mut impl Transactable,
    obj: &ObjId,
    fields: &Map<String, Json>,
) -> Result<(), StepsError> {
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

fn write_list(tx: &mut impl Transactable, obj: &ObjId, items: &[Json]) -> Result<(), StepsError> {
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
pub fn read_steps(doc: &impl ReadDoc) -> Result<StoredSteps, AutomergeError> {
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
