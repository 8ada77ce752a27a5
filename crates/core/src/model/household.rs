//! 户: an address and its residents.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::fields::{FieldReader, Fields, FieldsBuilder};
use super::{GridCode, HouseholdId, Resident, ResidentId, Tag, VisitPurpose};
use crate::error::{CoreError, ErrorCode, FieldError};

/// Longest address part accepted (characters).
pub const MAX_ADDRESS_CHARS: usize = 80;

/// Where a household lives: a flat (楼栋-单元-室) or a courtyard house (胡同/街巷-门牌).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Address {
    /// 小区 楼栋-单元-室.
    Flat {
        /// Estate name (小区), may be empty.
        estate: String,
        /// 楼栋.
        building: String,
        /// 单元 (may be empty).
        unit: String,
        /// 室.
        room: String,
    },
    /// 胡同/街巷 门牌.
    Street {
        /// 胡同/街巷.
        street: String,
        /// 门牌号.
        number: String,
    },
}

impl Address {
    /// The address as one line: `阳光小区3栋2单元501室`, `帽儿胡同12号`.
    pub fn display(&self) -> String {
        match self {
            Address::Flat {
                estate,
                building,
                unit,
                room,
            } => {
                let mut s = estate.clone();
                s.push_str(&with_suffix(building, "栋"));
                if !unit.is_empty() {
                    s.push_str(&with_suffix(unit, "单元"));
                }
                s.push_str(&with_suffix(room, "室"));
                s
            }
            Address::Street { street, number } => format!("{street}{}", with_suffix(number, "号")),
        }
    }

    fn validate(&self) -> Vec<FieldError> {
        let mut errs = vec![];
        let mut need = |field: &'static str, v: &str, required: bool| {
            if required && v.trim().is_empty() {
                errs.push(FieldError::required(field));
            } else if v.chars().count() > MAX_ADDRESS_CHARS {
                errs.push(FieldError::new(
                    field,
                    ErrorCode::TooLong,
                    format!("at most {MAX_ADDRESS_CHARS} characters"),
                ));
            }
        };
        match self {
            Address::Flat {
                estate,
                building,
                unit,
                room,
            } => {
                need("estate", estate, false);
                need("building", building, true);
                need("unit", unit, false);
                need("room", room, true);
            }
            Address::Street { street, number } => {
                need("street", street, true);
                need("number", number, true);
            }
        }
        errs
    }
}

fn with_suffix(v: &str, suffix: &str) -> String {
    let v = v.trim();
    if v.ends_with(suffix) {
        v.to_owned()
    } else {
        format!("{v}{suffix}")
    }
}

/// The most recent visit, carried by the household so it follows the household across grids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LastVisit {
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub purpose: VisitPurpose,
}

/// A household as stored, with its residents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    /// Stable id (also the document id).
    pub id: HouseholdId,
    /// The grid it belongs to now.
    pub grid: GridCode,
    /// Where.
    pub address: Address,
    /// The head of household, once set.
    pub head: Option<ResidentId>,
    /// Household-level tags (低保户, 特困户 …).
    pub tags: BTreeSet<Tag>,
    /// 红色爱心户: must be served in person.
    pub needs_home_visit: bool,
    /// Free notes.
    pub notes: String,
    /// The most recent visit.
    pub last_visit: Option<LastVisit>,
    /// Residents, moved-out ones included (flagged).
    pub residents: Vec<Resident>,
}

/// What a form submits for a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdInput {
    /// Where.
    pub address: Address,
    /// Household-level tags.
    pub tags: Vec<Tag>,
    /// 红色爱心户.
    pub needs_home_visit: bool,
    /// Notes.
    pub notes: String,
}

impl HouseholdInput {
    /// Every problem with the input.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errs = self.address.validate();
        if self.notes.chars().count() > super::resident::MAX_NOTES_CHARS {
            errs.push(FieldError::new(
                "notes",
                ErrorCode::TooLong,
                "notes too long",
            ));
        }
        errs
    }
}

impl Household {
    /// The head's name, when a head is set.
    pub fn head_name(&self) -> Option<&str> {
        let head = self.head?;
        self.residents
            .iter()
            .find(|r| r.id == head)
            .map(|r| r.name.as_str())
    }

    /// Residents still living here.
    pub fn current_residents(&self) -> impl Iterator<Item = &Resident> {
        self.residents.iter().filter(|r| !r.moved_out)
    }

    /// The household's own fields (residents are records of their own).
    pub(crate) fn to_fields(&self) -> Fields {
        let b = FieldsBuilder::default()
            .str("id", self.id.to_string())
            .str("grid", self.grid.as_str())
            .opt_str("head", self.head.map(|h| h.to_string()))
            .set("tags", self.tags.iter().map(|t| t.code()))
            .bool("needs_home_visit", self.needs_home_visit)
            .text("notes", &self.notes)
            .opt_int(
                "last_visit_at",
                self.last_visit.as_ref().map(|v| v.at.timestamp_millis()),
            )
            .opt_str(
                "last_visit_purpose",
                self.last_visit.as_ref().map(|v| v.purpose.code()),
            );
        match &self.address {
            Address::Flat {
                estate,
                building,
                unit,
                room,
            } => b
                .str("address_kind", "flat")
                .str("estate", estate)
                .str("building", building)
                .str("unit", unit)
                .str("room", room),
            Address::Street { street, number } => b
                .str("address_kind", "street")
                .str("street", street)
                .str("number", number),
        }
        .build()
    }

    pub(crate) fn from_fields(f: &Fields, residents: Vec<Resident>) -> Result<Self, CoreError> {
        let r = FieldReader::new("household", f);
        let address = match r.str("address_kind")?.as_str() {
            "flat" => Address::Flat {
                estate: r.str("estate")?,
                building: r.str("building")?,
                unit: r.str("unit")?,
                room: r.str("room")?,
            },
            "street" => Address::Street {
                street: r.str("street")?,
                number: r.str("number")?,
            },
            other => {
                return Err(CoreError::Corrupt(format!(
                    "household.address_kind: unknown {other:?}"
                )));
            }
        };
        let last_visit = match (
            r.opt_int("last_visit_at")?,
            r.opt_str("last_visit_purpose")?,
        ) {
            (Some(ms), Some(p)) => Some(LastVisit {
                at: DateTime::from_timestamp_millis(ms).unwrap_or_default(),
                purpose: VisitPurpose::from_code(&p).unwrap_or(VisitPurpose::InfoCollection),
            }),
            _ => None,
        };
        Ok(Self {
            id: r.parsed("id")?,
            grid: r.parsed("grid")?,
            address,
            head: r.opt_parsed("head")?,
            tags: r
                .set("tags")?
                .iter()
                .filter_map(|c| Tag::from_code(c))
                .collect(),
            needs_home_visit: r.bool("needs_home_visit")?,
            notes: r.text("notes")?,
            last_visit,
            residents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_naturally() {
        let a = Address::Flat {
            estate: "阳光小区".into(),
            building: "3".into(),
            unit: "2".into(),
            room: "501".into(),
        };
        assert_eq!(a.display(), "阳光小区3栋2单元501室");
        let b = Address::Street {
            street: "帽儿胡同".into(),
            number: "12号".into(),
        };
        assert_eq!(b.display(), "帽儿胡同12号");
    }

    #[test]
    fn a_flat_needs_building_and_room() {
        let a = Address::Flat {
            estate: String::new(),
            building: " ".into(),
            unit: String::new(),
            room: String::new(),
        };
        let input = HouseholdInput {
            address: a,
            tags: vec![],
            needs_home_visit: false,
            notes: String::new(),
        };
        let fields: Vec<_> = input.problems().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["building", "room"]);
    }
}
