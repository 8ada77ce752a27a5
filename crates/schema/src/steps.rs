//! The steps of an event (环节, [`wangge_events::Step`]) as its dispatch document holds
//! them: the encoding the device writes and the relay reads back to check who wrote what
//! ([`crate::step_access`]).
//!
//! Each step is one map under the root `steps` map, keyed by the step's UUID, holding the
//! step's JSON form as plain automerge values (maps, lists, strings, integers). A step is
//! written once, by one change, and never edited, so two devices that take steps offline
//! both keep theirs.

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ObjType, ROOT, ReadDoc, Value};
use serde_json::Value as Json;

use crate::record::{read_value, write_map};
use wangge_events::{Step, StepId};

/// The root key of the steps map.
pub const STEPS: &str = "steps";

/// The root key naming the report a dispatch document belongs to.
pub const REPORT_KEY: &str = "report";

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
    write_map(tx, &obj, &fields).map_err(StepsError::from)
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
