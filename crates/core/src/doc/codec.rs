//! Reading and writing [`Fields`] records in automerge maps.
//!
//! Writes touch only the fields whose value changed, so concurrent edits of different
//! fields of one record both survive; text merges by character; sets by member.

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::error::{CoreError, Result};
use crate::model::fields::Fields;
use crate::model::{FieldConflict, FieldValue};

/// The map at a root collection key.
pub(crate) fn collection(doc: &impl ReadDoc, name: &str) -> Result<ObjId> {
    match doc.get(ROOT, name)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(CoreError::Document(format!("document has no {name} map"))),
    }
}

/// The document's `kind`.
pub(crate) fn kind_of(doc: &impl ReadDoc) -> Result<super::DocKind> {
    let code = root_str(doc, wangge_schema::root::KIND_KEY)?;
    super::DocKind::from_code(&code)
        .ok_or_else(|| CoreError::Document(format!("unknown document kind {code:?}")))
}

/// The document's `scope`.
pub(crate) fn scope_of(doc: &impl ReadDoc) -> Result<String> {
    root_str(doc, wangge_schema::root::SCOPE_KEY)
}

/// A string attribute of the document's root (`scope`, a period doc's `date` …).
pub(crate) fn root_str(doc: &impl ReadDoc, key: &str) -> Result<String> {
    wangge_schema::root_str(doc, key)
        .ok_or_else(|| CoreError::Document(format!("document has no string {key}")))
}

fn value_of(doc: &impl ReadDoc, v: &Value<'_>, id: &ObjId) -> Result<FieldValue> {
    Ok(match v {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => FieldValue::Str(s.to_string()),
            ScalarValue::Int(i) => FieldValue::Int(*i),
            ScalarValue::Uint(u) => FieldValue::Int(i64::try_from(*u).unwrap_or(i64::MAX)),
            ScalarValue::Boolean(b) => FieldValue::Bool(*b),
            ScalarValue::Null => FieldValue::Null,
            other => return Err(CoreError::Document(format!("unexpected scalar {other:?}"))),
        },
        Value::Object(ObjType::Text) => FieldValue::Text(doc.text(id)?),
        Value::Object(ObjType::Map) => FieldValue::Set(doc.keys(id).collect()),
        Value::Object(other) => {
            return Err(CoreError::Document(format!("unexpected object {other:?}")));
        }
    })
}

/// Every field of the record map `obj`.
pub(crate) fn read_fields(doc: &impl ReadDoc, obj: &ObjId) -> Result<Fields> {
    let mut out = Fields::new();
    for key in doc.keys(obj) {
        if let Some((v, id)) = doc.get(obj, key.as_str())? {
            out.insert(key, value_of(doc, &v, &id)?);
        }
    }
    Ok(out)
}

/// Every record of a collection, parsed; records that fail to parse are reported, not hidden.
pub(crate) fn read_collection<T>(
    doc: &impl ReadDoc,
    name: &str,
    parse: impl Fn(&Fields) -> Result<T>,
) -> Result<Vec<T>> {
    let coll = collection(doc, name)?;
    let mut out = vec![];
    for key in doc.keys(&coll) {
        if let Some((Value::Object(ObjType::Map), id)) = doc.get(&coll, key.as_str())? {
            out.push(parse(&read_fields(doc, &id)?)?);
        }
    }
    Ok(out)
}

/// The map of record `key` in collection `coll`, created if absent.
pub(crate) fn record_obj(tx: &mut impl Transactable, coll: &ObjId, key: &str) -> Result<ObjId> {
    match tx.get(coll, key)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Ok(tx.put_object(coll, key, ObjType::Map)?),
    }
}

fn put_scalar(tx: &mut impl Transactable, obj: &ObjId, k: &str, v: &FieldValue) -> Result<()> {
    match v {
        FieldValue::Null => tx.put(obj, k, ScalarValue::Null)?,
        FieldValue::Str(s) => tx.put(obj, k, s.as_str())?,
        FieldValue::Int(i) => tx.put(obj, k, *i)?,
        FieldValue::Bool(b) => tx.put(obj, k, *b)?,
        FieldValue::Text(_) | FieldValue::Set(_) => {}
    }
    Ok(())
}

/// Writes `new` into the record map `obj`, touching only what changed.
pub(crate) fn write_fields(tx: &mut impl Transactable, obj: &ObjId, new: &Fields) -> Result<()> {
    for (k, v) in new {
        let current = match tx.get(obj, k.as_str())? {
            Some((cv, id)) => Some((value_of(tx, &cv, &id)?, id)),
            None => None,
        };
        match (v, current) {
            (v, Some((cur, _))) if &cur == v => {}
            (FieldValue::Text(s), Some((FieldValue::Text(_), id))) => tx.update_text(&id, s)?,
            (FieldValue::Text(s), _) => {
                let id = tx.put_object(obj, k.as_str(), ObjType::Text)?;
                tx.update_text(&id, s)?;
            }
            (FieldValue::Set(want), Some((FieldValue::Set(have), id))) => {
                for gone in have.difference(want) {
                    tx.delete(&id, gone.as_str())?;
                }
                for added in want.difference(&have) {
                    tx.put(&id, added.as_str(), true)?;
                }
            }
            (FieldValue::Set(want), _) => {
                let id = tx.put_object(obj, k.as_str(), ObjType::Map)?;
                for m in want {
                    tx.put(&id, m.as_str(), true)?;
                }
            }
            (v, _) => put_scalar(tx, obj, k, v)?,
        }
    }
    Ok(())
}

/// Writes one field unconditionally: this is how a member resolves a conflict (a write
/// supersedes every concurrent value it has seen).
pub(crate) fn force_put(
    tx: &mut impl Transactable,
    obj: &ObjId,
    k: &str,
    v: &FieldValue,
) -> Result<()> {
    match v {
        FieldValue::Text(s) => {
            let id = tx.put_object(obj, k, ObjType::Text)?;
            tx.update_text(&id, s)?;
        }
        FieldValue::Set(members) => {
            let id = tx.put_object(obj, k, ObjType::Map)?;
            for m in members {
                tx.put(&id, m.as_str(), true)?;
            }
        }
        v => put_scalar(tx, obj, k, v)?,
    }
    Ok(())
}

/// Fields of the record map `obj` that hold concurrent values, winner first.
pub(crate) fn conflicts(doc: &impl ReadDoc, obj: &ObjId) -> Result<Vec<FieldConflict>> {
    let mut out = vec![];
    for key in doc.keys(obj) {
        let all = doc.get_all(obj, key.as_str())?;
        if all.len() > 1 {
            let mut values = vec![];
            // get_all lists in op order; the winner (what `get` returns) goes first.
            let winner = doc.get(obj, key.as_str())?.map(|(_, id)| id);
            let mut seen = BTreeSet::new();
            for (v, id) in all.iter().rev() {
                let fv = value_of(doc, v, id)?;
                if Some(id) == winner.as_ref() {
                    values.insert(0, fv.clone());
                } else {
                    values.push(fv.clone());
                }
                seen.insert(format!("{fv:?}"));
            }
            // Identical concurrent values (both devices typed the same) are not a conflict.
            if seen.len() > 1 {
                out.push(FieldConflict { field: key, values });
            }
        }
    }
    Ok(out)
}
