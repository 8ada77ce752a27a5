//! Grids and divisions with their names; the codes themselves are the schema's
//! ([`GridCode`], [`DivisionCode`]), validated the same way on the relay.

use serde::{Deserialize, Serialize};

pub use wangge_schema::{DivisionCode, GridCode};

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
