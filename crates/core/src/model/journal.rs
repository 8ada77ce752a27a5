//! 工作日志: the member's daily work journal.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::fields::{FieldReader, Fields, FieldsBuilder};
use super::{JournalId, derived};
use crate::error::{CoreError, ErrorCode, FieldError};

/// A journal entry: one per member per day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JournalEntry {
    /// Derived from member and date.
    pub id: JournalId,
    /// The local day.
    pub date: NaiveDate,
    /// Whose journal.
    pub member: String,
    /// Work items, one line each.
    pub items: Vec<String>,
    /// Free notes.
    pub notes: String,
}

impl JournalEntry {
    /// The id of a member's entry for a day.
    pub fn id_for(member: &str, date: NaiveDate) -> JournalId {
        JournalId(derived(&format!("journal/{member}/{date}")))
    }

    /// Every problem with an edited entry.
    pub fn problems(items: &[String], notes: &str) -> Vec<FieldError> {
        let mut errs = vec![];
        if items
            .iter()
            .any(|i| i.contains('\n') || i.chars().count() > 500)
        {
            errs.push(FieldError::new(
                "items",
                ErrorCode::InvalidItem,
                "items are single lines of at most 500 characters",
            ));
        }
        if notes.chars().count() > 5000 {
            errs.push(FieldError::new(
                "notes",
                ErrorCode::TooLong,
                "notes too long",
            ));
        }
        errs
    }

    pub(crate) fn to_fields(&self) -> Fields {
        FieldsBuilder::default()
            .str("id", self.id.to_string())
            .str("date", self.date.to_string())
            .str("member", &self.member)
            .text("items", self.items.join("\n"))
            .text("notes", &self.notes)
            .build()
    }

    pub(crate) fn from_fields(f: &Fields) -> Result<Self, CoreError> {
        let r = FieldReader::new("journal", f);
        let items = r.text("items")?;
        Ok(Self {
            id: r.parsed("id")?,
            date: r.parsed("date")?,
            member: r.str("member")?,
            items: items
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect(),
            notes: r.text("notes")?,
        })
    }
}
