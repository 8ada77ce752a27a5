//! Roles and who may read and write which documents: the rule table, in one place. The
//! relay enforces it on every change it accepts; the device uses it to know what it may
//! write before it tries.
//!
//! | role                  | scopes                | reads                 | writes                        |
//! |-----------------------|-----------------------|-----------------------|-------------------------------|
//! | member, informant     | one grid              | docs of their grid    | docs of their grid, any kind but `notice`, `campaign` |
//! | leader                | one or more grids     | docs of their grids   | docs of their grids, any kind but `campaign` |
//! | chief leader          | one community         | docs under it         | docs under it, any kind       |
//! | centre                | one division          | docs under it         | `dispatch`, `notice`, `campaign` docs under it |
//! | department            | one department        | docs given to it      | `dispatch` docs given to it   |
//!
//! Notices and campaigns are read downward too: a `notice` or `campaign` document is also
//! served to everyone whose scope lies under its scope ([`Principal::can_read_kind`]), which is how a notice sent in
//! a street reaches its grids' members. Who writes which record inside notices and
//! receipts is checked by [`crate::notice`].
//!
//! A department (职能部门) reads nothing by scope: its code covers only itself and no
//! document is scoped to it. It reads, and takes steps on, the events dispatched to it:
//! the relay grants it an event's dispatch and report documents when a step names it as
//! the assignee ([`Principal::can_read_doc`], [`Principal::write_refusal_doc`]).
//!
//! Photos (blobs) follow the read column both ways: a device may upload a photo to, and
//! download a photo linked to, any scope it reads ([`Principal::can_write_blob`],
//! [`Principal::can_read`]); a centre attaches photos to its dispatches.
//!
//! "Under" is the code-prefix order of [`ScopeCode::covers`]: a grid's scope covers only
//! itself, a division covers its own code and every code that starts with it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, FieldError};
use crate::kind::DocKind;
use crate::scope::{Level, ScopeCode};

/// What a user is, which decides what they read and write.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    /// 职能部门: what a centre gives it.
    Department,
}

impl Role {
    /// Every role.
    pub const ALL: &'static [Role] = &[
        Role::Member,
        Role::Informant,
        Role::Leader,
        Role::ChiefLeader,
        Role::Centre,
        Role::Department,
    ];

    /// The role's name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Informant => "informant",
            Role::Leader => "leader",
            Role::ChiefLeader => "chief-leader",
            Role::Centre => "centre",
            Role::Department => "department",
        }
    }

    /// Checks that `scopes` fit the role: one grid for members and informants, grids for
    /// leaders, one community code for chief leaders, one division for the centre.
    pub fn check_scopes(self, scopes: &[ScopeCode]) -> Result<(), FieldError> {
        let want = |ok: bool, expected: &str| {
            if ok {
                Ok(())
            } else {
                Err(FieldError::new(
                    "scopes",
                    ErrorCode::ScopeWrongLevel,
                    format!("a {} needs {expected}", self.as_str()),
                ))
            }
        };
        let Some(first) = scopes.first() else {
            return want(false, "at least one scope");
        };
        match self {
            Role::Member | Role::Informant => {
                want(scopes.len() == 1, "a single grid")?;
                want(first.is_grid(), "a grid code")
            }
            Role::Leader => want(scopes.iter().all(ScopeCode::is_grid), "grid codes"),
            Role::ChiefLeader => {
                want(scopes.len() == 1, "a single community")?;
                want(
                    first.level() == Level::Community,
                    "a 12-digit community code",
                )
            }
            Role::Centre => {
                want(scopes.len() == 1, "a single division")?;
                want(first.division().is_some(), "a division code")
            }
            Role::Department => {
                want(scopes.len() == 1, "a single department")?;
                want(first.is_department(), "a department code (110105-cgj)")
            }
        }
    }

    /// Whether this role sends notices (通知, 寻人): leaders, communities, centres.
    pub fn sends_notices(self) -> bool {
        self.writes_kind(DocKind::Notice) && !matches!(self, Role::Department)
    }

    /// Whether this role starts roster campaigns (专项任务): communities and centres.
    pub fn starts_campaigns(self) -> bool {
        self.writes_kind(DocKind::Campaign)
    }

    /// Whether this role may write documents of `kind` within the scopes it reads: the
    /// grid's people every kind but notices and campaigns; leaders every kind but
    /// campaigns; communities every kind; the centre its dispatches, notices and campaigns;
    /// a department its dispatches.
    fn writes_kind(self, kind: DocKind) -> bool {
        match self {
            Role::Member | Role::Informant => !matches!(kind, DocKind::Notice | DocKind::Campaign),
            Role::Leader => kind != DocKind::Campaign,
            Role::ChiefLeader => true,
            Role::Centre => matches!(
                kind,
                DocKind::Dispatch | DocKind::Notice | DocKind::Campaign
            ),
            Role::Department => kind == DocKind::Dispatch,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "member" => Role::Member,
            "informant" => Role::Informant,
            "leader" => Role::Leader,
            "chief-leader" | "chief_leader" => Role::ChiefLeader,
            "centre" | "center" => Role::Centre,
            "department" => Role::Department,
            _ => {
                return Err(FieldError::new(
                    "role",
                    ErrorCode::InvalidRole,
                    "one of member, informant, leader, chief-leader, centre, department",
                ));
            }
        })
    }
}

/// What a device acts as: its user's role and scope codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The user's role.
    pub role: Role,
    /// The user's grids or division.
    pub scopes: Vec<ScopeCode>,
}

impl Principal {
    /// Whether a document scoped to `scope` may be served to this principal by its scope
    /// (a department reads nothing so: only what it is given).
    pub fn can_read(&self, scope: &ScopeCode) -> bool {
        self.role != Role::Department && self.scopes.iter().any(|s| s.covers(scope))
    }

    /// Whether a document of `kind` scoped to `scope` may be served to this principal by
    /// scope: covered by its scopes, or (a kind read downward, a notice) covering one of
    /// them.
    pub fn can_read_kind(&self, scope: &ScopeCode, kind: DocKind) -> bool {
        self.can_read(scope)
            || (kind.read_downward()
                && self.role != Role::Department
                && self.scopes.iter().any(|s| scope.covers(s)))
    }

    /// Whether a document scoped to `scope` and given to the units `grants` may be served
    /// to this principal: by scope, or because it was given to one of its units.
    pub fn can_read_doc(&self, scope: &ScopeCode, grants: &[ScopeCode]) -> bool {
        self.can_read(scope) || grants.iter().any(|g| self.scopes.contains(g))
    }

    /// Whether others' changes to a document of `kind` are pushed to this principal as
    /// they come. Not a grid's recipients' receipts to each other (member, informant):
    /// each holds its own and gets the rest the next time it syncs the document; pushing
    /// every receipt to every recipient of a grid grows with the square of its size (100
    /// members: 24.7 s to 99 % acknowledged for a notice to 1,000, against 1.6 s at 10).
    pub fn follows_live(&self, kind: DocKind) -> bool {
        !(kind == DocKind::Receipts && matches!(self.role, Role::Member | Role::Informant))
    }

    /// Whether this principal reads documents given to it, beyond its scopes: only then
    /// must a reader look the grants up.
    pub fn reads_grants(&self) -> bool {
        self.role == Role::Department
    }

    /// Whether this principal may upload a photo belonging to `scope`.
    pub fn can_write_blob(&self, scope: &ScopeCode) -> bool {
        self.can_read(scope)
    }

    /// Whether this principal may change a document of `kind` scoped to `scope`.
    pub fn can_write(&self, scope: &ScopeCode, kind: DocKind) -> bool {
        self.write_refusal(scope, kind).is_none()
    }

    /// Why this principal may not change a document of `kind` scoped to `scope`, or
    /// `None` if it may.
    pub fn write_refusal(&self, scope: &ScopeCode, kind: DocKind) -> Option<WriteRefusal> {
        if !self.can_read(scope) {
            return Some(WriteRefusal::Scope);
        }
        if self.role.writes_kind(kind) {
            None
        } else {
            Some(WriteRefusal::Kind)
        }
    }
}

impl Principal {
    /// [`Principal::write_refusal`] for a document given to the units `grants`: a unit it
    /// was given to may change it as if it were in scope.
    pub fn write_refusal_doc(
        &self,
        scope: &ScopeCode,
        kind: DocKind,
        grants: &[ScopeCode],
    ) -> Option<WriteRefusal> {
        match self.write_refusal(scope, kind) {
            Some(WriteRefusal::Scope) if grants.iter().any(|g| self.scopes.contains(g)) => {
                (!self.role.writes_kind(kind)).then_some(WriteRefusal::Kind)
            }
            other => other,
        }
    }
}

/// Why a write is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteRefusal {
    /// The scope is outside the principal's.
    Scope,
    /// The role may not write that kind there.
    Kind,
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
        assert_eq!(
            m.write_refusal(&code(B), DocKind::Household),
            Some(WriteRefusal::Scope)
        );
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
        assert_eq!(
            c.write_refusal(&code(A), DocKind::Household),
            Some(WriteRefusal::Kind)
        );
    }

    #[test]
    fn a_department_reads_and_writes_only_the_dispatches_given_to_it() {
        let d = who(Role::Department, &["110105-cgj"]);
        let cgj = code("110105-cgj");
        assert!(!d.can_read(&code(A)) && !d.can_read(&cgj));
        assert!(!d.can_read_doc(&code(A), &[]));
        assert!(!d.can_read_doc(&code(A), &[code("110105-zjj")]));
        assert!(d.can_read_doc(&code(A), &[code("110105-zjj"), cgj.clone()]));
        assert!(d.reads_grants() && !who(Role::Centre, &["110105"]).reads_grants());
        let given = std::slice::from_ref(&cgj);
        assert_eq!(
            d.write_refusal_doc(&code(A), DocKind::Dispatch, given),
            None
        );
        assert_eq!(
            d.write_refusal_doc(&code(A), DocKind::Report, given),
            Some(WriteRefusal::Kind)
        );
        assert_eq!(
            d.write_refusal_doc(&code(A), DocKind::Dispatch, &[]),
            Some(WriteRefusal::Scope)
        );
        // Grants open nothing to a role that reads by scope.
        let m = who(Role::Member, &[A]);
        assert_eq!(
            m.write_refusal_doc(&code(B), DocKind::Dispatch, given),
            Some(WriteRefusal::Scope)
        );
        assert!(Role::Department.check_scopes(given).is_ok());
        assert!(Role::Department.check_scopes(&[code("110105")]).is_err());
        assert!(Role::Centre.check_scopes(given).is_err());
    }

    #[test]
    fn notices_are_read_downward_and_written_by_leaders_and_above() {
        let street = code("110105001");
        let m = who(Role::Member, &[A]);
        assert!(m.can_read_kind(&street, DocKind::Notice));
        assert!(!m.can_read_kind(&street, DocKind::Receipts));
        assert!(!m.can_read_kind(&code("110105002"), DocKind::Notice));
        assert!(!m.can_read_kind(&code(B), DocKind::Notice));
        assert_eq!(
            m.write_refusal(&code(A), DocKind::Notice),
            Some(WriteRefusal::Kind)
        );
        assert!(m.can_write(&code(A), DocKind::Receipts));
        let c = who(Role::Centre, &["110105001"]);
        assert!(c.can_write(&street, DocKind::Notice));
        assert!(c.can_read_kind(&code(A), DocKind::Receipts));
        assert!(!c.can_write(&code(A), DocKind::Receipts));
        let d = who(Role::Department, &["110105001-cgj"]);
        assert!(!d.can_read_kind(&street, DocKind::Notice));
        assert!(who(Role::Leader, &[A]).can_write(&code(A), DocKind::Notice));
        assert!(m.can_read_kind(&street, DocKind::Campaign));
        assert!(!m.can_write(&code(A), DocKind::Campaign));
        assert!(m.can_write(&code(A), DocKind::CampaignResults));
        assert!(c.can_write(&street, DocKind::Campaign));
        assert!(!who(Role::Leader, &[A]).can_write(&code(A), DocKind::Campaign));
        // Receipts go live to the sender and leaders, not from recipient to recipient.
        assert!(!m.follows_live(DocKind::Receipts) && m.follows_live(DocKind::CampaignResults));
        assert!(
            c.follows_live(DocKind::Receipts)
                && who(Role::Leader, &[A]).follows_live(DocKind::Receipts)
        );
    }

    #[test]
    fn a_chief_leader_covers_the_community() {
        let c = who(Role::ChiefLeader, &["110105001001"]);
        assert!(c.can_write(&code(A), DocKind::Report) && c.can_write(&code(B), DocKind::Visits));
        assert!(!c.can_read(&code(OTHER_STREET)));
    }

    #[test]
    fn roles_check_their_scope_shapes() {
        let grid = code(A);
        let community = code("110105001001");
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
        let e = Role::Centre
            .check_scopes(std::slice::from_ref(&grid))
            .unwrap_err();
        assert_eq!(e.code, "scope_wrong_level");
        assert!(Role::Leader.check_scopes(&[]).is_err());
    }

    #[test]
    fn roles_round_trip_by_name() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
            let json = serde_json::to_string(r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
        assert_eq!("boss".parse::<Role>().unwrap_err().code, "invalid_role");
    }
}
