//! 网格编码 and the division hierarchy above grids.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

const PROVINCE_FIRST_DIGITS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

/// A division code: 2 (province), 4 (city), 6 (district/county), 9 (street/township) or 12
/// (community/village) digits of the national statistical division code.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);

impl DivisionCode {
    /// Validates length and digits.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let ok = matches!(s.len(), 2 | 4 | 6 | 9 | 12)
            && s.bytes().all(|b| b.is_ascii_digit())
            && PROVINCE_FIRST_DIGITS.contains(&(s.as_bytes()[0] - b'0'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(FieldError::new(
                "division",
                "invalid_division_code",
                "must be 2, 4, 6, 9 or 12 digits of a statistical division code",
            ))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this division contains the grid (its code is a prefix of the grid's).
    pub fn covers(&self, grid: &GridCode) -> bool {
        grid.as_str().starts_with(&self.0)
    }
}

/// 网格编码: the 12-digit community/village code followed by a 3-digit grid number (001–999).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GridCode(String);

impl GridCode {
    /// Validates: 15 digits, a known province first digit, grid number not 000.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let err = |m: &str| FieldError::new("grid", "invalid_grid_code", m);
        if s.is_empty() {
            return Err(FieldError::required("grid"));
        }
        if s.len() != 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("must be 15 digits"));
        }
        DivisionCode::parse(&s[..12])
            .map_err(|_| err("first 12 digits are not a division code"))?;
        if &s[12..] == "000" {
            return Err(err("grid number must be 001-999"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The 15 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The community/village this grid belongs to.
    pub fn community(&self) -> DivisionCode {
        DivisionCode(self.0[..12].to_owned())
    }

    /// The 3-digit grid number within its community.
    pub fn number(&self) -> u16 {
        self.0[12..].parse().unwrap_or(0)
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{}({})", stringify!($t), self.0) }
        }
        impl TryFrom<String> for $t {
            type Error = FieldError;
            fn try_from(s: String) -> Result<Self, FieldError> { Self::parse(&s) }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String { v.0 }
        }
        impl std::str::FromStr for $t {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, FieldError> { Self::parse(s) }
        }
    )*};
}
display_as_str!(GridCode, DivisionCode);

/// A grid: its code and a name (`XX社区第3网格`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    /// 网格编码.
    pub code: GridCode,
    /// Display name.
    pub name: String,
}

/// A division above grids (district, street/township, community/village).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Division {
    /// Statistical division code.
    pub code: DivisionCode,
    /// Display name.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_code_is_community_plus_grid_number() {
        let g = GridCode::parse("110105001001003").unwrap();
        assert_eq!(g.community().as_str(), "110105001001");
        assert_eq!(g.number(), 3);
        assert!(DivisionCode::parse("110105").unwrap().covers(&g));
        assert!(!DivisionCode::parse("110106").unwrap().covers(&g));
    }

    #[test]
    fn bad_grid_codes_are_refused() {
        for s in [
            "11010500100100",
            "1101050010010031",
            "11010500100100a",
            "110105001001000",
            "010105001001001",
        ] {
            assert_eq!(
                GridCode::parse(s).unwrap_err().code,
                "invalid_grid_code",
                "{s}"
            );
        }
        assert_eq!(GridCode::parse("").unwrap_err().code, "required_field");
    }

    #[test]
    fn division_codes_have_level_lengths() {
        for s in ["11", "1101", "110105", "110105001", "110105001001"] {
            assert!(DivisionCode::parse(s).is_ok(), "{s}");
        }
        for s in ["1", "110", "11010500", "0101"] {
            assert!(DivisionCode::parse(s).is_err(), "{s}");
        }
    }
}
