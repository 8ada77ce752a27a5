//! 网格编码 and the division codes above grids: one validation for device and relay.
//!
//! A division code is a prefix of the 12-digit statistical division code (GB/T 2260 and
//! the statistical bureau's 统计用区划代码): 2 digits province, 4 city, 6 district or
//! county, 9 street or township, 12 community or village. A grid code is a 12-digit
//! community code plus a 3-digit grid number (001–999). The tree is the prefix order: a
//! division covers every code that starts with it.
//!
//! A department (职能部门: 城管, 住建, 派出所 …) is a unit of a division that handles what the
//! division's centre gives it: its code is the division's code, a hyphen and a short name
//! of lower-case letters and digits (`110105-cgj`). It lies under its division (the
//! division covers it) and covers only itself: no document is scoped to a department, so
//! it reads only what it is given ([`crate::access`]).
//!
//! [`ScopeCode`] is any of them; [`GridCode`] and [`DivisionCode`] are the two kinds of the
//! tree, each holding its [`ScopeCode`] so either lends it out without copying.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, FieldError};

/// The 34 province-level codes (GB/T 2260): the first two digits of every valid code.
pub const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// Length of a grid code.
pub const GRID_LEN: usize = 15;
/// Length of a community (village) code.
pub const COMMUNITY_LEN: usize = 12;

/// Where a code sits in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// 省 (2 digits).
    Province,
    /// 市 (4).
    City,
    /// 区/县 (6).
    District,
    /// 街道/乡镇 (9).
    Street,
    /// 社区/村 (12).
    Community,
    /// 网格 (15).
    Grid,
    /// 职能部门: a division's code, `-`, a short name.
    Department,
}

impl Level {
    /// The level of a code of `len` digits.
    pub fn of_len(len: usize) -> Option<Level> {
        Some(match len {
            2 => Level::Province,
            4 => Level::City,
            6 => Level::District,
            9 => Level::Street,
            12 => Level::Community,
            15 => Level::Grid,
            _ => return None,
        })
    }
}

fn digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Longest short name of a department after its division's code.
pub const MAX_DEPARTMENT_NAME: usize = 16;

/// Why `s` is not a valid code, or the level it is.
fn check(s: &str) -> Result<Level, &'static str> {
    if let Some((division, name)) = s.split_once('-') {
        match check(division) {
            Ok(Level::Grid | Level::Community | Level::Department) => {
                return Err("a department belongs to a province, city, district or street");
            }
            Ok(_) => {}
            Err(why) => return Err(why),
        }
        let name_ok = (1..=MAX_DEPARTMENT_NAME).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !name_ok {
            return Err(
                "a department's name after the hyphen is 1-16 lower-case letters or digits",
            );
        }
        return Ok(Level::Department);
    }
    let level = Level::of_len(s.len()).ok_or("must be 2, 4, 6, 9, 12 or 15 digits")?;
    if !digits(s) {
        return Err("must be digits only");
    }
    if !PROVINCES.contains(&&s[..2]) {
        return Err("does not start with a province code");
    }
    if level == Level::Grid && &s[COMMUNITY_LEN..] == "000" {
        return Err("grid number must be 001-999");
    }
    Ok(level)
}

/// A scope code: a division code (2, 4, 6, 9 or 12 digits) or a grid code (15 digits),
/// validated. Every document's root carries one; users hold some.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeCode(String);

impl ScopeCode {
    /// Parses and validates a code exactly as written (no spaces around it).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        check(s)
            .map(|_| Self(s.to_owned()))
            .map_err(|why| FieldError::new("scope", ErrorCode::InvalidScopeCode, why))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the code sits in the tree.
    pub fn level(&self) -> Level {
        if self.is_department() {
            return Level::Department;
        }
        Level::of_len(self.0.len()).unwrap_or(Level::Grid)
    }

    /// Whether this is a department's code.
    pub fn is_department(&self) -> bool {
        self.0.contains('-')
    }

    /// Whether this is a grid code.
    pub fn is_grid(&self) -> bool {
        self.0.len() == GRID_LEN
    }

    /// Whether `other` is this code or lies under it (a department covers only itself).
    pub fn covers(&self, other: &ScopeCode) -> bool {
        if self.is_department() {
            return self == other;
        }
        other.0.starts_with(&self.0)
    }

    /// The grid this code is, if it is one.
    pub fn grid(&self) -> Option<GridCode> {
        self.is_grid().then(|| GridCode(self.clone()))
    }

    /// The division this code is, if it is neither a grid nor a department.
    pub fn division(&self) -> Option<DivisionCode> {
        (!self.is_grid() && !self.is_department()).then(|| DivisionCode(self.clone()))
    }

    /// For a grid, its community code.
    pub fn community(&self) -> Option<DivisionCode> {
        self.grid().map(|g| g.community())
    }
}

/// A division code: 2 (province), 4 (city), 6 (district/county), 9 (street/township) or 12
/// (community/village) digits of the national statistical division code.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(ScopeCode);

impl DivisionCode {
    /// Validates length, digits and province (surrounding spaces are ignored).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let err = |m: &str| FieldError::new("division", ErrorCode::InvalidDivisionCode, m);
        match check(s) {
            Ok(Level::Grid) => Err(err("a grid code is not a division code")),
            Ok(Level::Department) => Err(err("a department code is not a division code")),
            Ok(_) => Ok(Self(ScopeCode(s.to_owned()))),
            Err(why) => Err(err(why)),
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The code as a scope.
    pub fn scope(&self) -> &ScopeCode {
        &self.0
    }

    /// Where the division sits.
    pub fn level(&self) -> Level {
        self.0.level()
    }

    /// Whether this division contains the grid (its code is a prefix of the grid's).
    pub fn covers(&self, grid: &GridCode) -> bool {
        self.0.covers(&grid.0)
    }
}

/// 网格编码: the 12-digit community/village code followed by a 3-digit grid number (001–999).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct GridCode(ScopeCode);

impl GridCode {
    /// Validates: 15 digits, a province code first, grid number not 000 (surrounding
    /// spaces are ignored).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldError::required("grid"));
        }
        let err = |m: &str| FieldError::new("grid", ErrorCode::InvalidGridCode, m);
        if s.len() != GRID_LEN {
            return Err(err("must be 15 digits"));
        }
        check(s).map(|_| Self(ScopeCode(s.to_owned()))).map_err(err)
    }

    /// The 15 digits.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The code as a scope.
    pub fn scope(&self) -> &ScopeCode {
        &self.0
    }

    /// The community/village this grid belongs to.
    pub fn community(&self) -> DivisionCode {
        DivisionCode(ScopeCode(self.0.0[..COMMUNITY_LEN].to_owned()))
    }

    /// The 3-digit grid number within its community.
    pub fn number(&self) -> u16 {
        self.0.0[COMMUNITY_LEN..].parse().unwrap_or(0)
    }
}

impl From<GridCode> for ScopeCode {
    fn from(g: GridCode) -> ScopeCode {
        g.0
    }
}

impl From<DivisionCode> for ScopeCode {
    fn from(d: DivisionCode) -> ScopeCode {
        d.0
    }
}

macro_rules! as_text {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($t), self.as_str())
            }
        }
        impl TryFrom<String> for $t {
            type Error = FieldError;
            fn try_from(s: String) -> Result<Self, FieldError> { Self::parse(&s) }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String { v.as_str().to_owned() }
        }
        impl std::str::FromStr for $t {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, FieldError> { Self::parse(s) }
        }
    )*};
}
as_text!(ScopeCode, GridCode, DivisionCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_every_level_parse_and_others_do_not() {
        for ok in [
            "11",
            "1101",
            "110105",
            "110105001",
            "110105001001",
            "110105001001001",
            "820000000000001",
        ] {
            assert!(ScopeCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1",
            "11010",
            "1101050010010011",
            "11010500100100a",
            "１１",
            " 11",
            "99",
            "100105001001001",
            "110105001001000",
        ] {
            let e = ScopeCode::parse(bad).unwrap_err();
            assert_eq!(e.code, "invalid_scope_code", "{bad}");
        }
    }

    #[test]
    fn a_grid_code_is_community_plus_grid_number() {
        let g = GridCode::parse("110105001001003").unwrap();
        assert_eq!(g.community().as_str(), "110105001001");
        assert_eq!(g.number(), 3);
        assert!(DivisionCode::parse("110105").unwrap().covers(&g));
        assert!(!DivisionCode::parse("110106").unwrap().covers(&g));
        assert_eq!(g.scope().grid(), Some(g.clone()));
        assert_eq!(g.scope().level(), Level::Grid);
    }

    #[test]
    fn bad_grid_codes_are_refused() {
        for s in [
            "11010500100100",
            "1101050010010031",
            "11010500100100a",
            "110105001001000",
            "010105001001001",
            "990105001001001",
        ] {
            assert_eq!(
                GridCode::parse(s).unwrap_err().code,
                "invalid_grid_code",
                "{s}"
            );
        }
        assert_eq!(GridCode::parse("").unwrap_err().code, "required_field");
        assert_eq!(
            GridCode::parse(" 110105001001001 ").unwrap().as_str(),
            "110105001001001"
        );
    }

    #[test]
    fn division_codes_have_level_lengths() {
        for s in ["11", "1101", "110105", "110105001", "110105001001"] {
            assert!(DivisionCode::parse(s).is_ok(), "{s}");
        }
        for s in ["1", "110", "11010500", "0101", "110105001001001"] {
            assert!(DivisionCode::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn a_department_lies_under_its_division_and_covers_only_itself() {
        let cgj = ScopeCode::parse("110105-cgj").unwrap();
        assert_eq!(cgj.level(), Level::Department);
        assert!(!cgj.is_grid() && cgj.division().is_none() && cgj.grid().is_none());
        let district = ScopeCode::parse("110105").unwrap();
        assert!(district.covers(&cgj));
        assert!(!ScopeCode::parse("110106").unwrap().covers(&cgj));
        let longer = ScopeCode::parse("110105-cgjx").unwrap();
        assert!(cgj.covers(&cgj) && !cgj.covers(&longer));
        assert!(!cgj.covers(&ScopeCode::parse("110105001001001").unwrap()));
        assert!(ScopeCode::parse("110105001-zf2").is_ok());
        for bad in [
            "110105-",
            "110105-CGJ",
            "110105-城管",
            "110105001001-cgj",
            "110105001001001-cgj",
            "990105-cgj",
            "110105-cgj-x",
            "110105-abcdefghijklmnopq",
        ] {
            assert!(ScopeCode::parse(bad).is_err(), "{bad}");
        }
        assert!(DivisionCode::parse("110105-cgj").is_err());
        assert!(GridCode::parse("110105-cgj").is_err());
    }

    #[test]
    fn a_street_covers_its_grids_but_not_its_neighbours() {
        let street = ScopeCode::parse("110105001").unwrap();
        assert!(street.covers(&ScopeCode::parse("110105001002003").unwrap()));
        assert!(!street.covers(&ScopeCode::parse("110105002001001").unwrap()));
    }

    #[test]
    fn codes_serialise_as_strings_and_refuse_bad_ones() {
        let g: GridCode = serde_json::from_str("\"110105001001001\"").unwrap();
        assert_eq!(serde_json::to_string(&g).unwrap(), "\"110105001001001\"");
        assert!(serde_json::from_str::<ScopeCode>("\"12345\"").is_err());
    }
}
