//! Divisions, grids, roles and the scope codes documents carry.
//!
//! A division code is a prefix of the 12-digit statistical code (2 province, 4 city,
//! 6 district, 9 street/town, 12 community/village); a grid code is a 12-digit community
//! code plus a 3-digit grid number. The tree is the prefix order: a division covers every
//! code that starts with it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A scope code: a division code (2, 4, 6, 9 or 12 digits) or a grid code (15 digits).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeCode(String);

/// Why a string is not a scope code, role or document kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// Not 2/4/6/9/12/15 ASCII digits.
    #[error("{0:?} is not a division code (2, 4, 6, 9 or 12 digits) or grid code (15 digits)")]
    BadCode(String),
    /// The code has the wrong length for its use.
    #[error("{code:?} is not a {expected}")]
    WrongLevel {
        /// The code.
        code: String,
        /// What was expected.
        expected: &'static str,
    },
    /// Not a known role.
    #[error("unknown role {0:?} (member, informant, leader, chief-leader, centre)")]
    BadRole(String),
    /// Not a known document kind.
    #[error("unknown document kind {0:?}")]
    BadKind(String),
}

impl ScopeCode {
    /// Length of a grid code.
    pub const GRID_LEN: usize = 15;
    /// Length of a community (village) code.
    pub const COMMUNITY_LEN: usize = 12;

    /// Parses and validates a code.
    pub fn parse(s: &str) -> Result<Self, ScopeError> {
        let ok =
            matches!(s.len(), 2 | 4 | 6 | 9 | 12 | 15) && s.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ScopeError::BadCode(s.chars().take(32).collect()))
        }
    }

    /// Whether this is a grid code.
    pub fn is_grid(&self) -> bool {
        self.0.len() == Self::GRID_LEN
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this code or lies under it.
    pub fn covers(&self, other: &ScopeCode) -> bool {
        other.0.starts_with(&self.0)
    }

    /// For a grid, its community code.
    pub fn community(&self) -> Option<ScopeCode> {
        self.is_grid()
            .then(|| Self(self.0[..Self::COMMUNITY_LEN].to_owned()))
    }
}

impl fmt::Display for ScopeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ScopeCode {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ScopeCode {
    type Error = ScopeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ScopeCode> for String {
    fn from(c: ScopeCode) -> String {
        c.0
    }
}

/// What a user is, which decides what they read and write (see [`crate::access`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// 网格员: one grid.
    Member,
    /// 信息员: one grid.
    Informant,
    /// 网格长: several grids.
    Leader,
    /// 总网格长: every grid of one community.
    ChiefLeader,
    /// 指挥中心: a division subtree.
    Centre,
}

impl Role {
    /// The role's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Informant => "informant",
            Role::Leader => "leader",
            Role::ChiefLeader => "chief-leader",
            Role::Centre => "centre",
        }
    }

    /// Checks that `scopes` fit the role: one grid for members and informants, grids for
    /// leaders, one community code for chief leaders, one division for the centre.
    pub fn check_scopes(self, scopes: &[ScopeCode]) -> Result<(), ScopeError> {
        let want = |ok: bool, code: &ScopeCode, expected| {
            if ok {
                Ok(())
            } else {
                Err(ScopeError::WrongLevel {
                    code: code.to_string(),
                    expected,
                })
            }
        };
        let first = scopes.first().ok_or(ScopeError::WrongLevel {
            code: String::new(),
            expected: "non-empty scope list",
        })?;
        match self {
            Role::Member | Role::Informant => {
                want(scopes.len() == 1, first, "single grid")?;
                want(first.is_grid(), first, "grid code")
            }
            Role::Leader => scopes
                .iter()
                .try_for_each(|s| want(s.is_grid(), s, "grid code")),
            Role::ChiefLeader => {
                want(scopes.len() == 1, first, "single community")?;
                want(
                    first.0.len() == ScopeCode::COMMUNITY_LEN,
                    first,
                    "12-digit community code",
                )
            }
            Role::Centre => {
                want(scopes.len() == 1, first, "single division")?;
                want(!first.is_grid(), first, "division code")
            }
        }
    }
}

impl FromStr for Role {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "member" => Role::Member,
            "informant" => Role::Informant,
            "leader" => Role::Leader,
            "chief-leader" | "chief_leader" => Role::ChiefLeader,
            "centre" | "center" => Role::Centre,
            other => return Err(ScopeError::BadRole(other.chars().take(32).collect())),
        })
    }
}

/// The `kind` a Wangge document declares in its root map.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DocKind {
    /// One household and its residents.
    Household,
    /// A grid's index of households and periods.
    GridIndex,
    /// Temperature checks of a period.
    Checks,
    /// Visits of a member and period.
    Visits,
    /// A member's work journal of a period.
    Journal,
    /// One incident/hazard report, as its author wrote it.
    Report,
    /// Dispatch, handling and closing of a report.
    Dispatch,
}

impl DocKind {
    /// The kind as written in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Household => "household",
            DocKind::GridIndex => "grid_index",
            DocKind::Checks => "checks",
            DocKind::Visits => "visits",
            DocKind::Journal => "journal",
            DocKind::Report => "report",
            DocKind::Dispatch => "dispatch",
        }
    }
}

impl FromStr for DocKind {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "household" => DocKind::Household,
            "grid_index" => DocKind::GridIndex,
            "checks" => DocKind::Checks,
            "visits" => DocKind::Visits,
            "journal" => DocKind::Journal,
            "report" => DocKind::Report,
            "dispatch" => DocKind::Dispatch,
            other => return Err(ScopeError::BadKind(other.chars().take(32).collect())),
        })
    }
}

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
        ] {
            assert!(ScopeCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_street_covers_its_grids_but_not_its_neighbours() {
        let street = ScopeCode::parse("110105001").unwrap();
        assert!(street.covers(&ScopeCode::parse("110105001002003").unwrap()));
        assert!(!street.covers(&ScopeCode::parse("110105002001001").unwrap()));
    }

    #[test]
    fn roles_check_their_scope_shapes() {
        let grid = ScopeCode::parse("110105001001001").unwrap();
        let community = ScopeCode::parse("110105001001").unwrap();
        assert!(
            Role::Member
                .check_scopes(std::slice::from_ref(&grid))
                .is_ok()
        );
        assert!(
            Role::Member
                .check_scopes(&[grid.clone(), grid.clone()])
                .is_err()
        );
        assert!(
            Role::ChiefLeader
                .check_scopes(std::slice::from_ref(&community))
                .is_ok()
        );
        assert!(
            Role::Centre
                .check_scopes(std::slice::from_ref(&grid))
                .is_err()
        );
        assert!(Role::Leader.check_scopes(&[]).is_err());
    }
}
