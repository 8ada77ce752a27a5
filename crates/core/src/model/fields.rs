//! Records as flat field maps: the one shape the document layer reads, writes, diffs and
//! reports conflicts on. Model types convert to and from [`Fields`]; nothing here knows
//! automerge.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// One field's value (the UI sends one back to settle a conflict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FieldValue {
    /// Absent / cleared.
    Null,
    /// A scalar string (last writer wins; concurrent writes conflict).
    Str(String),
    /// A scalar integer.
    Int(i64),
    /// A scalar boolean.
    Bool(bool),
    /// Collaborative text: concurrent edits merge character by character.
    Text(String),
    /// A set of codes: concurrent adds and removes of different members all survive.
    Set(BTreeSet<String>),
}

/// A record as named fields.
pub type Fields = BTreeMap<String, FieldValue>;

/// A field edited concurrently on two devices: every value still visible, the one the
/// document currently shows first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldConflict {
    /// The field name.
    pub field: String,
    /// All concurrent values, winner first.
    pub values: Vec<FieldValue>,
}

/// Builds [`Fields`] fluently.
#[derive(Default)]
pub struct FieldsBuilder(Fields);

impl FieldsBuilder {
    /// Adds a string field.
    pub fn str(mut self, k: &str, v: impl Into<String>) -> Self {
        self.0.insert(k.to_owned(), FieldValue::Str(v.into()));
        self
    }
    /// Adds an optional string field (`Null` when absent).
    pub fn opt_str(mut self, k: &str, v: Option<impl Into<String>>) -> Self {
        self.0.insert(
            k.to_owned(),
            v.map_or(FieldValue::Null, |v| FieldValue::Str(v.into())),
        );
        self
    }
    /// Adds an integer field.
    pub fn int(mut self, k: &str, v: i64) -> Self {
        self.0.insert(k.to_owned(), FieldValue::Int(v));
        self
    }
    /// Adds an optional integer field.
    pub fn opt_int(mut self, k: &str, v: Option<i64>) -> Self {
        self.0
            .insert(k.to_owned(), v.map_or(FieldValue::Null, FieldValue::Int));
        self
    }
    /// Adds a boolean field.
    pub fn bool(mut self, k: &str, v: bool) -> Self {
        self.0.insert(k.to_owned(), FieldValue::Bool(v));
        self
    }
    /// Adds a collaborative text field.
    pub fn text(mut self, k: &str, v: impl Into<String>) -> Self {
        self.0.insert(k.to_owned(), FieldValue::Text(v.into()));
        self
    }
    /// Adds a set of codes.
    pub fn set<I: IntoIterator<Item = S>, S: Into<String>>(mut self, k: &str, v: I) -> Self {
        self.0.insert(
            k.to_owned(),
            FieldValue::Set(v.into_iter().map(Into::into).collect()),
        );
        self
    }
    /// The fields.
    pub fn build(self) -> Fields {
        self.0
    }
}

/// Typed reads from [`Fields`], with a clear error naming the record and field.
pub struct FieldReader<'a> {
    record: &'static str,
    fields: &'a Fields,
}

impl<'a> FieldReader<'a> {
    /// Reads `fields` of a record kind.
    pub fn new(record: &'static str, fields: &'a Fields) -> Self {
        Self { record, fields }
    }

    fn bad(&self, k: &str, want: &str) -> CoreError {
        CoreError::Corrupt(format!("{}.{k}: expected {want}", self.record))
    }

    /// A required string.
    pub fn str(&self, k: &str) -> Result<String, CoreError> {
        self.opt_str(k)?.ok_or_else(|| self.bad(k, "string"))
    }
    /// An optional string.
    pub fn opt_str(&self, k: &str) -> Result<Option<String>, CoreError> {
        match self.fields.get(k) {
            None | Some(FieldValue::Null) => Ok(None),
            Some(FieldValue::Str(s)) | Some(FieldValue::Text(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.bad(k, "string")),
        }
    }
    /// Text (empty when absent).
    pub fn text(&self, k: &str) -> Result<String, CoreError> {
        Ok(self.opt_str(k)?.unwrap_or_default())
    }
    /// A required integer.
    pub fn int(&self, k: &str) -> Result<i64, CoreError> {
        self.opt_int(k)?.ok_or_else(|| self.bad(k, "integer"))
    }
    /// An optional integer.
    pub fn opt_int(&self, k: &str) -> Result<Option<i64>, CoreError> {
        match self.fields.get(k) {
            None | Some(FieldValue::Null) => Ok(None),
            Some(FieldValue::Int(i)) => Ok(Some(*i)),
            Some(_) => Err(self.bad(k, "integer")),
        }
    }
    /// A boolean (false when absent).
    pub fn bool(&self, k: &str) -> Result<bool, CoreError> {
        match self.fields.get(k) {
            None | Some(FieldValue::Null) => Ok(false),
            Some(FieldValue::Bool(b)) => Ok(*b),
            Some(_) => Err(self.bad(k, "boolean")),
        }
    }
    /// A set (empty when absent).
    pub fn set(&self, k: &str) -> Result<BTreeSet<String>, CoreError> {
        match self.fields.get(k) {
            None | Some(FieldValue::Null) => Ok(BTreeSet::new()),
            Some(FieldValue::Set(s)) => Ok(s.clone()),
            Some(_) => Err(self.bad(k, "set")),
        }
    }
    /// A required code enum.
    pub fn code<T>(&self, k: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, CoreError> {
        let s = self.str(k)?;
        parse(&s).ok_or_else(|| self.bad(k, "known code"))
    }
    /// A required parsed value (ids, grid codes, dates).
    pub fn parsed<T: std::str::FromStr>(&self, k: &str) -> Result<T, CoreError> {
        self.str(k)?
            .parse()
            .map_err(|_| self.bad(k, "parsable value"))
    }
    /// An optional parsed value.
    pub fn opt_parsed<T: std::str::FromStr>(&self, k: &str) -> Result<Option<T>, CoreError> {
        self.opt_str(k)?
            .map(|s| s.parse().map_err(|_| self.bad(k, "parsable value")))
            .transpose()
    }
}
