//! Which grid each planned household goes to, and whether this device may write there.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wangge_schema::ScopeCode;

use super::PlannedHousehold;
use crate::model::{Address, GridCode};

/// How an import assigns grids: the file's own grid column first, then a rule by building
/// (楼栋) or street (街巷), then the default grid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridAssignment {
    /// Where households go that nothing else assigns.
    pub default_grid: Option<GridCode>,
    /// A grid per building or street, by the text the file has (`3`, `3栋`, `帽儿胡同`).
    #[serde(default)]
    pub by_building: BTreeMap<String, GridCode>,
    /// The scopes this device may write in (its grids, or its community): households
    /// assigned elsewhere are left out instead of waiting forever to sync.
    #[serde(default)]
    pub writable: Vec<ScopeCode>,
}

impl GridAssignment {
    /// Everything to `grid`, which the device may write.
    pub fn all_to(grid: &GridCode) -> Self {
        Self {
            default_grid: Some(grid.clone()),
            by_building: BTreeMap::new(),
            writable: vec![grid.scope().clone()],
        }
    }

    /// The grid `h` goes to, if any and if this device may write it.
    pub fn grid_for(&self, h: &PlannedHousehold) -> Option<GridCode> {
        let key = match &h.address {
            Address::Flat { building, .. } => building,
            Address::Street { street, .. } => street,
        };
        let grid = h
            .grid
            .clone()
            .or_else(|| self.by_building.get(key.trim()).cloned())
            .or_else(|| {
                let bare = key.trim().trim_end_matches(['栋', '幢', '号', '楼']);
                self.by_building.get(bare).cloned()
            })
            .or_else(|| self.default_grid.clone())?;
        self.may_write(&grid).then_some(grid)
    }

    /// Whether this device may write in `grid`.
    pub fn may_write(&self, grid: &GridCode) -> bool {
        self.writable.iter().any(|s| s.covers(grid.scope()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> GridCode {
        GridCode::parse(s).unwrap()
    }

    fn flat(building: &str) -> PlannedHousehold {
        PlannedHousehold {
            address: Address::Flat {
                estate: String::new(),
                building: building.into(),
                unit: String::new(),
                room: "101".into(),
            },
            grid: None,
            residents: vec![],
        }
    }

    #[test]
    fn the_file_then_the_building_then_the_default_decide_and_only_writable_grids_count() {
        let (a, b, c) = (
            g("110105001001001"),
            g("110105001001002"),
            g("110105001001003"),
        );
        let mut rule = GridAssignment {
            default_grid: Some(a.clone()),
            by_building: [("5".to_owned(), b.clone())].into(),
            writable: vec![ScopeCode::parse("110105001001").unwrap()],
        };
        assert_eq!(rule.grid_for(&flat("3")), Some(a.clone()));
        assert_eq!(rule.grid_for(&flat("5栋")), Some(b.clone()));
        let mut named = flat("5");
        named.grid = Some(c.clone());
        assert_eq!(rule.grid_for(&named), Some(c.clone()));
        rule.writable = vec![a.scope().clone()];
        assert_eq!(rule.grid_for(&flat("5")), None, "grid b is not writable");
        assert_eq!(GridAssignment::default().grid_for(&flat("1")), None);
    }
}
