//! Who may read and write which documents: the rule table, in one place.
//!
//! | role                  | reads                       | writes                          |
//! |-----------------------|-----------------------------|---------------------------------|
//! | member, informant     | docs of their grid          | docs of their grid, any kind    |
//! | leader                | docs of their grids         | docs of their grids, any kind   |
//! | chief leader          | docs under their community  | docs under their community      |
//! | centre                | docs under their division   | `dispatch` docs under it only   |
//!
//! Photos (blobs) follow the read column both ways: a device may upload a photo to, and
//! download a photo linked to, any scope it reads ([`Principal::can_write_blob`],
//! [`Principal::can_read`]); a centre attaches photos to its dispatches.
//!
//! "Under" is the code-prefix order of [`ScopeCode::covers`]: a grid's scope covers only
//! itself, a division covers its own code and every code that starts with it.

use serde::Serialize;

use crate::scope::{DocKind, Role, ScopeCode};

/// What a device acts as: its user's role and scope codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The user's role.
    pub role: Role,
    /// The user's grids or division.
    pub scopes: Vec<ScopeCode>,
}

/// The kinds a role may write within the scopes it reads.
fn writable_kinds(role: Role) -> Option<&'static [DocKind]> {
    match role {
        Role::Member | Role::Informant | Role::Leader | Role::ChiefLeader => None,
        Role::Centre => Some(&[DocKind::Dispatch]),
    }
}

impl Principal {
    /// Whether a document scoped to `scope` may be served to this principal.
    pub fn can_read(&self, scope: &ScopeCode) -> bool {
        self.scopes.iter().any(|s| s.covers(scope))
    }

    /// Whether this principal may upload a photo belonging to `scope`.
    pub fn can_write_blob(&self, scope: &ScopeCode) -> bool {
        self.can_read(scope)
    }

    /// Whether this principal may change a document of `kind` scoped to `scope`.
    pub fn can_write(&self, scope: &ScopeCode, kind: DocKind) -> bool {
        self.can_read(scope)
            && match writable_kinds(self.role) {
                None => true,
                Some(kinds) => kinds.contains(&kind),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> ScopeCode {
        ScopeCode::parse(s).unwrap()
    }

    fn who(role: Role, scopes: &[&str]) -> Principal {
        Principal {
            role,
            scopes: scopes.iter().map(|s| code(s)).collect(),
        }
    }

    const A: &str = "110105001001001";
    const B: &str = "110105001001002";
    const OTHER_STREET: &str = "110105002001001";

    #[test]
    fn a_member_reads_and_writes_only_their_grid() {
        let m = who(Role::Member, &[A]);
        assert!(m.can_read(&code(A)) && m.can_write(&code(A), DocKind::Household));
        assert!(!m.can_read(&code(B)) && !m.can_write(&code(B), DocKind::Household));
        assert!(!m.can_read(&code("110105001001")));
    }

    #[test]
    fn a_leader_of_two_grids_sees_both() {
        let l = who(Role::Leader, &[A, B]);
        assert!(l.can_write(&code(A), DocKind::Journal) && l.can_write(&code(B), DocKind::Checks));
        assert!(!l.can_read(&code(OTHER_STREET)));
    }

    #[test]
    fn the_centre_reads_its_division_and_writes_only_dispatch() {
        let c = who(Role::Centre, &["110105001"]);
        assert!(c.can_read(&code(A)) && c.can_read(&code(B)));
        assert!(!c.can_read(&code(OTHER_STREET)));
        assert!(c.can_write(&code(A), DocKind::Dispatch));
        assert!(!c.can_write(&code(A), DocKind::Household));
    }

    #[test]
    fn a_chief_leader_covers_the_community() {
        let c = who(Role::ChiefLeader, &["110105001001"]);
        assert!(c.can_write(&code(A), DocKind::Report) && c.can_write(&code(B), DocKind::Visits));
        assert!(!c.can_read(&code(OTHER_STREET)));
    }
}
