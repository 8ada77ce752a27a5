//! 测温: per resident, per day, morning and afternoon.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::codes::code_enum;
use super::fields::{FieldReader, Fields, FieldsBuilder};
use super::{CheckId, GridCode, ResidentId, derived};
use crate::error::{CoreError, ErrorCode, FieldError};

/// Lowest accepted reading, tenths of °C.
pub const MIN_TENTHS: i64 = 340;
/// Highest accepted reading, tenths of °C.
pub const MAX_TENTHS: i64 = 430;
/// Fever at or above this, tenths of °C (37.3 °C).
pub const FEVER_TENTHS: i64 = 373;

code_enum! {
    /// 上午 / 下午.
    pub enum Slot {
        /// 上午.
        Morning = "morning",
        /// 下午.
        Afternoon = "afternoon",
    }
}

code_enum! {
    /// How the reading was taken.
    pub enum Method {
        /// 入户测量.
        InPerson = "in_person",
        /// 自行上报.
        Reported = "reported",
    }
}

/// A temperature in tenths of a degree Celsius, 34.0–43.0 °C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Celsius(i64);

impl Celsius {
    /// Parses what a keypad produces: `36.5`, `36,5`, `365` (tenths) or `36`.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim().replace(',', ".");
        let err = || {
            FieldError::new(
                "temperature",
                ErrorCode::InvalidTemperature,
                "not a temperature",
            )
        };
        if s.is_empty() {
            return Err(FieldError::required("temperature"));
        }
        let tenths = match s.split_once('.') {
            Some((whole, frac)) => {
                if frac.len() != 1 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                let w: i64 = whole.parse().map_err(|_| err())?;
                w * 10 + i64::from(frac.as_bytes()[0] - b'0')
            }
            None => {
                let v: i64 = s.parse().map_err(|_| err())?;
                if (340..=430).contains(&v) {
                    v
                } else {
                    v.saturating_mul(10)
                }
            }
        };
        Self::from_tenths(tenths)
    }

    /// From tenths of a degree, bounds-checked.
    pub fn from_tenths(tenths: i64) -> Result<Self, FieldError> {
        if (MIN_TENTHS..=MAX_TENTHS).contains(&tenths) {
            Ok(Self(tenths))
        } else {
            Err(FieldError::new(
                "temperature",
                ErrorCode::TemperatureOutOfRange,
                "must be between 34.0 and 43.0 °C",
            ))
        }
    }

    /// Tenths of a degree.
    pub fn tenths(self) -> i64 {
        self.0
    }

    /// ≥ 37.3 °C.
    pub fn is_fever(self) -> bool {
        self.0 >= FEVER_TENTHS
    }
}

impl std::fmt::Display for Celsius {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// Keypad text as core judges it while the member types: the reading and whether it is a
/// fever, or why it is not a temperature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TemperatureReading {
    /// Tenths of °C when valid (`365` → 36.5 °C).
    pub tenths: Option<i64>,
    /// At or above the fever line.
    pub fever: bool,
    /// Why the text is not a temperature.
    pub error: Option<FieldError>,
}

impl TemperatureReading {
    /// Judges keypad text (`365`, `36.5`, `36,5`).
    pub fn of(text: &str) -> Self {
        match Celsius::parse(text) {
            Ok(c) => Self {
                tenths: Some(c.tenths()),
                fever: c.is_fever(),
                error: None,
            },
            Err(e) => Self {
                tenths: None,
                fever: false,
                error: Some(e),
            },
        }
    }
}

/// A check as stored.
///
/// In the grid's day document a check sits at key `{resident}/{slot}` (see
/// [`TemperatureCheck::record_key`]) and its record holds only what neither the key nor
/// the document says: reading, method, member and time. The id, grid and date follow
/// from the key and the document's root; the household from the resident. This keeps a
/// day's 600 checks at about 12 KB on the wire (it was about 50 KB when every record
/// repeated its id, resident, household, grid and date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemperatureCheck {
    /// Derived from resident, date and slot.
    pub id: CheckId,
    /// Who was checked.
    pub resident: ResidentId,
    /// The grid, when checked.
    pub grid: GridCode,
    /// The local day.
    pub date: NaiveDate,
    /// Morning or afternoon.
    pub slot: Slot,
    /// The reading.
    pub celsius: Celsius,
    /// How taken.
    pub method: Method,
    /// Who recorded it.
    pub member: String,
    /// When recorded.
    pub at: DateTime<Utc>,
}

/// One resident's reading in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckInput {
    /// Who.
    pub resident: ResidentId,
    /// The reading as typed.
    pub temperature: String,
    /// How taken.
    pub method: Method,
}

/// What `Store::record_checks` did with a household's rows: each valid row saved, each
/// refused row with every problem it has. The saved rows are one change, so a refused row
/// never holds the others back (a fever reading is recorded even if a neighbour's reading
/// was a keypad slip) and saving the corrected row again only adds that row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChecksRecorded {
    /// The rows saved, in row order.
    pub saved: Vec<CheckSaved>,
    /// The problems of the rows refused, in row order (a row may have several).
    pub refused: Vec<RowError>,
}

/// A row of a batch that was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckSaved {
    /// The row's index in the batch (0-based).
    pub row: usize,
    /// Who.
    pub resident: ResidentId,
    /// The check's id.
    pub id: CheckId,
    /// The reading, tenths of °C.
    pub tenths: i64,
    /// ≥ 37.3 °C.
    pub fever: bool,
}

/// A problem with one row of a batch: which row, whose, and the field error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowError {
    /// The row's index in the batch (0-based).
    pub row: usize,
    /// The resident the row is for.
    pub resident: ResidentId,
    /// What was wrong (`temperature`: `temperature_out_of_range`, `resident`: `not_found`, …).
    pub error: FieldError,
}

impl ChecksRecorded {
    /// The ids of the checks saved, in row order.
    pub fn ids(&self) -> Vec<CheckId> {
        self.saved.iter().map(|c| c.id).collect()
    }
}

impl TemperatureCheck {
    /// The id of the check for a resident, day and slot.
    pub fn id_for(resident: ResidentId, date: NaiveDate, slot: Slot) -> CheckId {
        CheckId(derived(&format!("check/{resident}/{date}/{}", slot.code())))
    }

    /// ≥ 37.3 °C.
    pub fn is_fever(&self) -> bool {
        self.celsius.is_fever()
    }

    /// The key of a resident's check in a slot, in the grid's day document.
    pub fn record_key(resident: ResidentId, slot: Slot) -> String {
        format!("{resident}/{}", slot.code())
    }

    /// Resident and slot from a record key; `None` for any other key.
    pub fn parse_record_key(key: &str) -> Option<(ResidentId, Slot)> {
        let (resident, slot) = key.split_once('/')?;
        Some((resident.parse().ok()?, Slot::from_code(slot)?))
    }

    /// The record: only what the key and the document do not say.
    pub(crate) fn to_fields(&self) -> Fields {
        FieldsBuilder::default()
            .int("tenths", self.celsius.tenths())
            .str("method", self.method.code())
            .str("member", &self.member)
            .int("at", self.at.timestamp_millis())
            .build()
    }

    /// The check at `key` of the day document of `grid` and `date`. A record of the first
    /// layout (keyed by check id, naming resident and slot itself) reads too.
    pub(crate) fn from_record(
        key: &str,
        f: &Fields,
        grid: &GridCode,
        date: NaiveDate,
    ) -> Result<Self, CoreError> {
        let r = FieldReader::new("check", f);
        let (resident, slot) = match Self::parse_record_key(key) {
            Some(rs) => rs,
            None => (r.parsed("resident")?, r.code("slot", Slot::from_code)?),
        };
        Ok(Self {
            id: Self::id_for(resident, date, slot),
            resident,
            grid: grid.clone(),
            date,
            slot,
            celsius: Celsius::from_tenths(r.int("tenths")?)
                .map_err(|e| CoreError::Corrupt(e.to_string()))?,
            method: r.code("method", Method::from_code)?,
            member: r.str("member")?,
            at: DateTime::from_timestamp_millis(r.int("at")?).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fever_is_flagged_at_37_3() {
        assert!(!Celsius::parse("37.2").unwrap().is_fever());
        assert!(Celsius::parse("37.3").unwrap().is_fever());
        assert!(Celsius::parse("39").unwrap().is_fever());
    }

    #[test]
    fn keypad_forms_parse() {
        assert_eq!(Celsius::parse("36.5").unwrap().tenths(), 365);
        assert_eq!(Celsius::parse("36,5").unwrap().tenths(), 365);
        assert_eq!(Celsius::parse("365").unwrap().tenths(), 365);
        assert_eq!(Celsius::parse("36").unwrap().tenths(), 360);
        assert_eq!(Celsius::parse("36.5").unwrap().to_string(), "36.5");
    }

    #[test]
    fn bounds_are_34_to_43() {
        assert!(Celsius::parse("34.0").is_ok());
        assert!(Celsius::parse("43.0").is_ok());
        for s in ["33.9", "43.1", "0", "100", "-36.5"] {
            assert_eq!(
                Celsius::parse(s).unwrap_err().code,
                "temperature_out_of_range",
                "{s}"
            );
        }
    }

    #[test]
    fn keypad_text_is_judged_with_its_fever_or_its_error() {
        let r = TemperatureReading::of("373");
        assert_eq!((r.tenths, r.fever, r.error), (Some(373), true, None));
        let r = TemperatureReading::of("36.5");
        assert_eq!((r.tenths, r.fever), (Some(365), false));
        let r = TemperatureReading::of("3");
        assert_eq!(r.tenths, None);
        assert_eq!(
            r.error.map(|e| e.code),
            Some(ErrorCode::TemperatureOutOfRange)
        );
    }

    #[test]
    fn garbage_is_not_a_temperature() {
        for s in ["abc", "36.55", "36.", ".5", "3 6"] {
            assert_eq!(
                Celsius::parse(s).unwrap_err().code,
                "invalid_temperature",
                "{s}"
            );
        }
        assert_eq!(Celsius::parse("").unwrap_err().code, "required_field");
    }
}
