//! 入户走访: a door-to-door visit and the needs (微心愿) collected on it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::codes::code_enum;
use super::fields::{FieldReader, Fields, FieldsBuilder};
use super::{GridCode, HouseholdId, NeedId, VisitId};
use crate::error::{CoreError, ErrorCode, FieldError};

code_enum! {
    /// 六大员: a member's six duties, the purposes of a visit.
    pub enum VisitPurpose {
        /// 信息采集.
        InfoCollection = "info_collection",
        /// 矛盾调解.
        Mediation = "mediation",
        /// 政策宣传.
        PolicyOutreach = "policy_outreach",
        /// 安全巡查 (消防/治安/食品药品).
        SafetyPatrol = "safety_patrol",
        /// 民生服务 (代办).
        PublicService = "public_service",
        /// 应急处置.
        Emergency = "emergency",
    }
}

impl VisitPurpose {
    /// The Chinese name, as written in journals.
    pub fn zh(self) -> &'static str {
        match self {
            VisitPurpose::InfoCollection => "信息采集",
            VisitPurpose::Mediation => "矛盾调解",
            VisitPurpose::PolicyOutreach => "政策宣传",
            VisitPurpose::SafetyPatrol => "安全巡查",
            VisitPurpose::PublicService => "民生服务",
            VisitPurpose::Emergency => "应急处置",
        }
    }
}

/// A visit as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Visit {
    /// Stable id.
    pub id: VisitId,
    /// The household visited.
    pub household: HouseholdId,
    /// The grid the household was in when visited.
    pub grid: GridCode,
    /// The member who visited.
    pub member: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub purpose: VisitPurpose,
    /// What happened.
    pub notes: String,
}

/// A need (微心愿) collected on a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Need {
    /// Stable id.
    pub id: NeedId,
    /// The visit it was collected on.
    pub visit: VisitId,
    /// The household.
    pub household: HouseholdId,
    /// What is needed.
    pub text: String,
    /// Fulfilled yet.
    pub fulfilled: bool,
}

/// What the visit form submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VisitInput {
    /// The household visited.
    pub household: HouseholdId,
    /// Why.
    pub purpose: VisitPurpose,
    /// What happened.
    pub notes: String,
    /// Needs collected, one per entry.
    pub needs: Vec<String>,
}

impl VisitInput {
    /// Every problem with the input.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errs = vec![];
        if self.notes.chars().count() > super::resident::MAX_NOTES_CHARS {
            errs.push(FieldError::new(
                "notes",
                ErrorCode::TooLong,
                "notes too long",
            ));
        }
        if self
            .needs
            .iter()
            .any(|n| n.trim().is_empty() || n.chars().count() > 200)
        {
            errs.push(FieldError::new(
                "needs",
                ErrorCode::InvalidNeed,
                "each need is 1-200 characters",
            ));
        }
        errs
    }
}

impl Visit {
    pub(crate) fn to_fields(&self) -> Fields {
        FieldsBuilder::default()
            .str("id", self.id.to_string())
            .str("household", self.household.to_string())
            .str("grid", self.grid.as_str())
            .str("member", &self.member)
            .int("at", self.at.timestamp_millis())
            .str("purpose", self.purpose.code())
            .text("notes", &self.notes)
            .build()
    }

    pub(crate) fn from_fields(f: &Fields) -> Result<Self, CoreError> {
        let r = FieldReader::new("visit", f);
        Ok(Self {
            id: r.parsed("id")?,
            household: r.parsed("household")?,
            grid: r.parsed("grid")?,
            member: r.str("member")?,
            at: DateTime::from_timestamp_millis(r.int("at")?).unwrap_or_default(),
            purpose: r.code("purpose", VisitPurpose::from_code)?,
            notes: r.text("notes")?,
        })
    }
}

impl Need {
    pub(crate) fn to_fields(&self) -> Fields {
        FieldsBuilder::default()
            .str("id", self.id.to_string())
            .str("visit", self.visit.to_string())
            .str("household", self.household.to_string())
            .text("text", &self.text)
            .bool("fulfilled", self.fulfilled)
            .build()
    }

    pub(crate) fn from_fields(f: &Fields) -> Result<Self, CoreError> {
        let r = FieldReader::new("need", f);
        Ok(Self {
            id: r.parsed("id")?,
            visit: r.parsed("visit")?,
            household: r.parsed("household")?,
            text: r.text("text")?,
            fulfilled: r.bool("fulfilled")?,
        })
    }
}
