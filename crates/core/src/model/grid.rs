//! Grids, divisions and departments with their names; the codes themselves are the
//! schema's ([`GridCode`], [`DivisionCode`], [`ScopeCode`]), validated the same way on the
//! relay. [`Unit`] is one entry of the directory the relay sends each device.

use serde::{Deserialize, Serialize};

pub use wangge_schema::{DivisionCode, GridCode};
use wangge_schema::{Level, ScopeCode};

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

/// What kind of unit a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum UnitKind {
    /// A division (province … community).
    Division,
    /// 职能部门.
    Department,
    /// 网格.
    Grid,
}

/// One unit of the directory (名录): a division, department or grid under the device's
/// scopes, by code and name, as the relay last sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Unit {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: UnitKind,
}

/// Longest unit name kept from the relay's directory, in characters.
pub const MAX_UNIT_NAME_CHARS: usize = 64;

impl Unit {
    /// A directory entry from the relay, if its code is a valid one and its name is not
    /// empty (cut to [`MAX_UNIT_NAME_CHARS`]).
    pub fn from_relay(code: &str, name: &str) -> Option<Unit> {
        let code = ScopeCode::parse(code).ok()?;
        let name: String = name.trim().chars().take(MAX_UNIT_NAME_CHARS).collect();
        if name.is_empty() {
            return None;
        }
        let kind = match code.level() {
            Level::Grid => UnitKind::Grid,
            Level::Department => UnitKind::Department,
            _ => UnitKind::Division,
        };
        Some(Unit {
            code: code.as_str().to_owned(),
            name,
            kind,
        })
    }
}
