//! Records kept as plain automerge values: a JSON object written as nested maps and lists
//! of scalars, and read back as JSON. Steps, notices and receipts are stored so; each is
//! written by one change and read back by the device and by the relay's checks.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use serde::Serialize;
use serde_json::{Map, Number, Value as Json};

/// Deepest nesting read back from a record (a step's JSON is three levels deep).
const MAX_DEPTH: usize = 8;

/// Writes the fields of a JSON object into the map `obj`.
pub(crate) fn write_map(
    tx: &mut impl Transactable,
    obj: &ObjId,
    fields: &Map<String, Json>,
) -> Result<(), AutomergeError> {
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

fn write_list(
    tx: &mut impl Transactable,
    obj: &ObjId,
    items: &[Json],
) -> Result<(), AutomergeError> {
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

/// The JSON form of the map or list `obj`; `None` if it holds what a record never does
/// (counters, text objects, bytes, or deeper nesting than any record).
pub(crate) fn read_value(
    doc: &impl ReadDoc,
    obj: &ObjId,
    kind: ObjType,
    depth: usize,
) -> Option<Json> {
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

/// Why a record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The document lacks the map the record goes in.
    #[error("document has no {0} map")]
    NoMap(&'static str),
    /// A record with this key is stored and may not be rewritten.
    #[error("a record {0} is stored")]
    Duplicate(String),
    /// The record's JSON form is not an object (cannot happen for these types).
    #[error("a record is not a JSON object")]
    NotAnObject,
    /// automerge refused the operation.
    #[error(transparent)]
    Automerge(#[from] AutomergeError),
}

pub(crate) fn fields_of(
    record: &impl Serialize,
) -> Result<serde_json::Map<String, Json>, RecordError> {
    match serde_json::to_value(record) {
        Ok(Json::Object(fields)) => Ok(fields),
        _ => Err(RecordError::NotAnObject),
    }
}

pub(crate) fn root_map<T: Transactable>(
    tx: &mut T,
    key: &'static str,
) -> Result<ObjId, RecordError> {
    match tx.get(ROOT, key)? {
        Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
        _ => Err(RecordError::NoMap(key)),
    }
}

/// The records of the root map `key`: each key with its JSON form (`None` where it is not
/// a plain record). Empty when the map is absent.
pub(crate) fn records(doc: &impl ReadDoc, key: &str) -> BTreeMap<String, Option<Json>> {
    let Ok(Some((Value::Object(ObjType::Map), map))) = doc.get(ROOT, key) else {
        return BTreeMap::new();
    };
    doc.keys(&map)
        .map(|k| {
            let v = match doc.get(&map, k.as_str()) {
                Ok(Some((Value::Object(ObjType::Map), obj))) => {
                    read_value(doc, &obj, ObjType::Map, 0)
                }
                _ => None,
            };
            (k, v)
        })
        .collect()
}

/// The record `key` of the root map `map`, if it is there and plain.
pub(crate) fn record_at(doc: &impl ReadDoc, map: &str, key: &str) -> Option<Json> {
    let Ok(Some((Value::Object(ObjType::Map), m))) = doc.get(ROOT, map) else {
        return None;
    };
    match doc.get(&m, key).ok()?? {
        (Value::Object(ObjType::Map), obj) => read_value(doc, &obj, ObjType::Map, 0),
        _ => None,
    }
}

pub(crate) fn root_record(doc: &impl ReadDoc, key: &str) -> Option<Json> {
    match doc.get(ROOT, key).ok()?? {
        (Value::Object(ObjType::Map), obj) => read_value(doc, &obj, ObjType::Map, 0),
        _ => None,
    }
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(v: Option<Json>) -> Option<T> {
    v.and_then(|j| serde_json::from_value(j).ok())
}

/// Adds `record` under `key` in the root map `map` (which the genesis made); a record
/// stored under that key already is [`RecordError::Duplicate`] (records are written once).
pub(crate) fn add_record(
    tx: &mut impl Transactable,
    map: &'static str,
    key: &str,
    record: &impl Serialize,
) -> Result<(), RecordError> {
    let m = root_map(tx, map)?;
    if tx.get(&m, key)?.is_some() {
        return Err(RecordError::Duplicate(key.to_owned()));
    }
    let obj = tx.put_object(&m, key, ObjType::Map)?;
    write_map(tx, &obj, &fields_of(record)?)?;
    Ok(())
}
