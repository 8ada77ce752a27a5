//! 身份证号: the 18-character resident identity number of GB 11643-1999.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, FieldError};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";
/// Province-level codes (first two digits) in use, plus 9x for foreigners' permanent residence.
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 91,
];

/// Sex as encoded in the ID number's sequence digit (odd: male).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

/// A validated 18-character ID number (upper-case `X` as check character).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);

impl IdNumber {
    /// Validates: 18 characters, known province, real birth date not in the future, and the
    /// GB 11643 MOD 11-2 check character (`x` accepted as `X`).
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, FieldError> {
        let s = input.trim().to_ascii_uppercase();
        let err = |code, msg: &str| FieldError::new("id_number", code, msg);
        if s.is_empty() {
            return Err(FieldError::required("id_number"));
        }
        let b = s.as_bytes();
        if b.len() != 18 {
            return Err(err(ErrorCode::InvalidIdNumber, "must be 18 characters"));
        }
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(err(
                ErrorCode::InvalidIdNumber,
                "must be 17 digits and a digit or X",
            ));
        }
        let province = (b[0] - b'0') * 10 + (b[1] - b'0');
        if !PROVINCES.contains(&province) {
            return Err(err(ErrorCode::InvalidIdNumber, "unknown province code"));
        }
        let birth = birth_date_of(b)
            .ok_or_else(|| err(ErrorCode::IdNumberBadDate, "birth date is not a real date"))?;
        if birth > today || birth.year() < 1900 {
            return Err(err(ErrorCode::IdNumberBadDate, "birth date out of range"));
        }
        if check_char(b) != b[17] {
            return Err(err(
                ErrorCode::IdNumberBadCheck,
                "check character does not match",
            ));
        }
        Ok(Self(s))
    }

    /// The birth date encoded in digits 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        birth_date_of(self.0.as_bytes()).unwrap_or_default()
    }

    /// Sex from the 17th digit.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The full number. Show [`IdNumber::masked`] unless the role needs it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `110105********1234`: region kept, birth date and sequence hidden.
    pub fn masked(&self) -> String {
        crate::model::mask::mask_id_number(&self.0)
    }
}

fn birth_date_of(b: &[u8]) -> Option<NaiveDate> {
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        std::str::from_utf8(&b[r]).ok()?.parse().ok()
    };
    NaiveDate::from_ymd_opt(num(6..10)? as i32, num(10..12)?, num(12..14)?)
}

/// The GB 11643 check character for the first 17 digits.
pub fn check_char(b: &[u8]) -> u8 {
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl TryFrom<String> for IdNumber {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        // Stored values were validated on entry; re-check shape only, not the date against today.
        Self::parse(&s, NaiveDate::MAX)
    }
}

impl From<IdNumber> for String {
    fn from(v: IdNumber) -> String {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    /// Builds a valid number from 17 digits by computing its check character.
    fn with_check(first17: &str) -> String {
        let c = check_char(first17.as_bytes()) as char;
        format!("{first17}{c}")
    }

    #[test]
    fn a_valid_number_parses_with_birth_date_and_sex() {
        let id = IdNumber::parse(&with_check("11010519491231002"), today()).unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        let id = IdNumber::parse(&with_check("44030419900101001"), today()).unwrap();
        assert_eq!(id.sex(), Sex::Male);
    }

    #[test]
    fn the_published_example_with_x_check_character_is_valid() {
        // GB 11643-1999 appendix example: 11010519491231002X.
        let id = IdNumber::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn a_wrong_check_digit_is_refused() {
        let good = with_check("32010219800229123");
        let last = good.as_bytes()[17];
        let wrong = if last == b'1' { '2' } else { '1' };
        let bad = format!("{}{wrong}", &good[..17]);
        assert_eq!(
            IdNumber::parse(&bad, today()).unwrap_err().code,
            "id_number_bad_check"
        );
    }

    #[test]
    fn an_impossible_or_future_birth_date_is_refused() {
        for first17 in [
            "32010219810229123",
            "32010219801332123",
            "32010220301212123",
            "32010218991212123",
        ] {
            let e = IdNumber::parse(&with_check(first17), today()).unwrap_err();
            assert_eq!(e.code, "id_number_bad_date", "{first17}");
        }
    }

    #[test]
    fn leap_day_in_a_leap_year_is_a_real_date() {
        assert!(IdNumber::parse(&with_check("32010219800229123"), today()).is_ok());
    }

    #[test]
    fn bad_shapes_are_refused() {
        for s in [
            "",
            "1234",
            "1101051949123100XX",
            "11010519491231002Y",
            "99010519491231002X",
        ] {
            assert!(IdNumber::parse(s, today()).is_err(), "{s}");
        }
        assert_eq!(
            IdNumber::parse("", today()).unwrap_err().code,
            "required_field"
        );
    }

    #[test]
    fn debug_output_is_masked() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(format!("{id:?}"), "IdNumber(110105********002X)");
    }
}
