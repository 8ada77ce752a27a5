//! 事件上报: hazard and incident reports, and their status history (派单 → 处置 → 办结 → 评价).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::codes::code_enum;
use super::fields::{FieldReader, Fields, FieldsBuilder};
use super::{EventId, GridCode, ReportId};
use crate::error::{CoreError, ErrorCode, FieldError};

code_enum! {
    /// Report category.
    pub enum Category {
        /// 党建引领.
        PartyBuilding = "party_building",
        /// 矛盾调处.
        DisputeMediation = "dispute_mediation",
        /// 民生服务.
        PublicService = "public_service",
        /// 社会治安.
        PublicSecurity = "public_security",
        /// 城建物业.
        UrbanProperty = "urban_property",
        /// 综合执法.
        LawEnforcement = "law_enforcement",
        /// 安全隐患.
        SafetyHazard = "safety_hazard",
    }
}

impl Category {
    /// The Chinese name, as written in journals.
    pub fn zh(self) -> &'static str {
        match self {
            Category::PartyBuilding => "党建引领",
            Category::DisputeMediation => "矛盾调处",
            Category::PublicService => "民生服务",
            Category::PublicSecurity => "社会治安",
            Category::UrbanProperty => "城建物业",
            Category::LawEnforcement => "综合执法",
            Category::SafetyHazard => "安全隐患",
        }
    }
}

code_enum! {
    /// Severity (一般 / 较大 / 重大 / 特别重大).
    pub enum Severity {
        /// 一般.
        Minor = "minor",
        /// 较大.
        Serious = "serious",
        /// 重大.
        Major = "major",
        /// 特别重大.
        Critical = "critical",
    }
}

code_enum! {
    /// Where a report stands.
    pub enum ReportStatus {
        /// 已上报: filed, awaiting dispatch.
        Reported = "reported",
        /// 已派单.
        Dispatched = "dispatched",
        /// 处置中.
        Handling = "handling",
        /// 已办结.
        Closed = "closed",
        /// 已评价.
        Rated = "rated",
    }
}

/// A GPS fix in micro-degrees (exact in the CRDT, no float drift).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Gps {
    /// Latitude × 10⁶.
    pub lat_e6: i64,
    /// Longitude × 10⁶.
    pub lon_e6: i64,
}

/// A report as its author wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Report {
    /// Stable id (also the report document's id).
    pub id: ReportId,
    /// The grid it was filed in.
    pub grid: GridCode,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Place as text.
    pub place: String,
    /// Optional GPS.
    pub gps: Option<Gps>,
    /// Description.
    pub description: String,
    /// Evidence photos: SHA-256 hex of each evidence JPEG.
    pub photos: BTreeSet<String>,
    /// Who filed it.
    pub author: String,
    /// When filed.
    pub created_at: DateTime<Utc>,
}

/// What the report form submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportInput {
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Place as text.
    pub place: String,
    /// Optional GPS.
    pub gps: Option<Gps>,
    /// Description.
    pub description: String,
    /// Photo hashes already in the blob store.
    pub photos: Vec<String>,
}

impl ReportInput {
    /// Every problem with the input.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errs = vec![];
        if self.place.trim().is_empty() {
            errs.push(FieldError::required("place"));
        } else if self.place.chars().count() > 200 {
            errs.push(FieldError::new(
                "place",
                ErrorCode::TooLong,
                "at most 200 characters",
            ));
        }
        if self.description.trim().is_empty() {
            errs.push(FieldError::required("description"));
        } else if self.description.chars().count() > 5000 {
            errs.push(FieldError::new(
                "description",
                ErrorCode::TooLong,
                "at most 5000 characters",
            ));
        }
        if let Some(g) = self.gps
            && (!(-90_000_000..=90_000_000).contains(&g.lat_e6)
                || !(-180_000_000..=180_000_000).contains(&g.lon_e6))
        {
            errs.push(FieldError::new(
                "gps",
                ErrorCode::InvalidGps,
                "latitude or longitude out of range",
            ));
        }
        if self.photos.iter().any(|h| !is_sha256_hex(h)) {
            errs.push(FieldError::new(
                "photos",
                ErrorCode::InvalidPhotoRef,
                "photo refs are SHA-256 hex",
            ));
        }
        errs
    }
}

/// Whether `s` is 64 lower-case hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// One step in a report's history, written by the centre or the handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusEvent {
    /// Stable id.
    pub id: EventId,
    /// The status entered.
    pub status: ReportStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
    /// Note (handling notes, closing remarks).
    pub note: String,
    /// Deadline set on dispatch.
    pub deadline: Option<DateTime<Utc>>,
    /// Rating 1–5 on 评价.
    pub rating: Option<u8>,
}

impl Report {
    pub(crate) fn to_fields(&self) -> Fields {
        FieldsBuilder::default()
            .str("id", self.id.to_string())
            .str("grid", self.grid.as_str())
            .str("category", self.category.code())
            .str("severity", self.severity.code())
            .text("place", &self.place)
            .opt_int("lat_e6", self.gps.map(|g| g.lat_e6))
            .opt_int("lon_e6", self.gps.map(|g| g.lon_e6))
            .text("description", &self.description)
            .set("photos", self.photos.iter().cloned())
            .str("author", &self.author)
            .int("created_at", self.created_at.timestamp_millis())
            .build()
    }

    pub(crate) fn from_fields(f: &Fields) -> Result<Self, CoreError> {
        let r = FieldReader::new("report", f);
        let gps = match (r.opt_int("lat_e6")?, r.opt_int("lon_e6")?) {
            (Some(lat_e6), Some(lon_e6)) => Some(Gps { lat_e6, lon_e6 }),
            _ => None,
        };
        Ok(Self {
            id: r.parsed("id")?,
            grid: r.parsed("grid")?,
            category: r.code("category", Category::from_code)?,
            severity: r.code("severity", Severity::from_code)?,
            place: r.text("place")?,
            gps,
            description: r.text("description")?,
            photos: r.set("photos")?,
            author: r.str("author")?,
            created_at: DateTime::from_timestamp_millis(r.int("created_at")?).unwrap_or_default(),
        })
    }
}

impl StatusEvent {
    pub(crate) fn to_fields(&self) -> Fields {
        FieldsBuilder::default()
            .str("id", self.id.to_string())
            .str("status", self.status.code())
            .int("at", self.at.timestamp_millis())
            .str("by", &self.by)
            .text("note", &self.note)
            .opt_int("deadline", self.deadline.map(|d| d.timestamp_millis()))
            .opt_int("rating", self.rating.map(i64::from))
            .build()
    }

    pub(crate) fn from_fields(f: &Fields) -> Result<Self, CoreError> {
        let r = FieldReader::new("status_event", f);
        Ok(Self {
            id: r.parsed("id")?,
            status: r.code("status", ReportStatus::from_code)?,
            at: DateTime::from_timestamp_millis(r.int("at")?).unwrap_or_default(),
            by: r.str("by")?,
            note: r.text("note")?,
            deadline: r
                .opt_int("deadline")?
                .and_then(DateTime::from_timestamp_millis),
            rating: r.opt_int("rating")?.and_then(|v| u8::try_from(v).ok()),
        })
    }
}

/// The history in order and the status it leaves the report in (the latest event wins;
/// ties broken by id so every replica agrees).
pub fn current_status(events: &mut [StatusEvent]) -> ReportStatus {
    events.sort_by_key(|e| (e.at, e.id));
    events.last().map_or(ReportStatus::Reported, |e| e.status)
}
