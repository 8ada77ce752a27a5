//! Who may run which admin action, and where: the rule behind the relay's admin API.
//!
//! Only roles that govern a division may administer, and only inside it: a chief leader
//! (总网格长) its community, a centre (指挥中心) its division. Inside means the code of
//! everything the action touches starts with the governed code (a new division strictly
//! below it). The command line on the server is the operator's and is not limited.

use uuid::Uuid;
use wangge_schema::{Principal, Role, ScopeCode};

/// Code lengths of the levels: province, city, district, street, community, grid.
const LEVEL_LENS: [usize; 6] = [2, 4, 6, 9, 12, 15];

/// Who asks for an admin action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminActor {
    /// `wangge-relay admin …` on the server: the operator, unlimited.
    Cli,
    /// A user's device through the admin API.
    Device {
        /// The user.
        user: Uuid,
        /// The device the request came from.
        device: Uuid,
        /// The user's role and scopes.
        principal: Principal,
    },
}

/// Why an admin action is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminRefusal {
    /// The role governs no division (members, informants, leaders).
    #[error("a {0} does not administer; a chief leader or a centre does")]
    NotAnAdmin(&'static str),
    /// The action reaches outside the governed division.
    #[error("{target} is outside {governed}, which this account administers")]
    Outside {
        /// What the action touches.
        target: String,
        /// What the actor governs.
        governed: String,
    },
}

impl AdminActor {
    /// The division this actor governs; `None` for the command line (everything).
    pub fn governed(&self) -> Result<Option<&ScopeCode>, AdminRefusal> {
        match self {
            AdminActor::Cli => Ok(None),
            AdminActor::Device { principal, .. } => match principal.role {
                Role::ChiefLeader | Role::Centre => {
                    // `check_scopes` gives both roles exactly one scope.
                    principal
                        .scopes
                        .first()
                        .map(Some)
                        .ok_or(AdminRefusal::NotAnAdmin(principal.role.as_str()))
                }
                role => Err(AdminRefusal::NotAnAdmin(role.as_str())),
            },
        }
    }

    /// Allows an action touching `target` (the governed division itself or below it).
    pub fn may_touch(&self, target: &ScopeCode) -> Result<(), AdminRefusal> {
        self.check(target, false)
    }

    /// Allows creating the division `target`, strictly below the governed one.
    pub fn may_create_below(&self, target: &ScopeCode) -> Result<(), AdminRefusal> {
        self.check(target, true)
    }

    fn check(&self, target: &ScopeCode, strictly: bool) -> Result<(), AdminRefusal> {
        let Some(governed) = self.governed()? else {
            return Ok(());
        };
        if governed.covers(target) && !(strictly && governed == target) {
            Ok(())
        } else {
            Err(AdminRefusal::Outside {
                target: target.as_str().to_owned(),
                governed: governed.as_str().to_owned(),
            })
        }
    }

    /// The user and device to log, `None` for the command line.
    pub fn who(&self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            AdminActor::Cli => (None, None),
            AdminActor::Device { user, device, .. } => (Some(*user), Some(*device)),
        }
    }
}

/// The narrowest division (or grid) code covering every one of `codes`: where an action
/// touching them all is logged. `None` for no codes or codes in different provinces.
pub fn common_scope<'a>(codes: impl IntoIterator<Item = &'a ScopeCode>) -> Option<ScopeCode> {
    let mut codes = codes.into_iter();
    let first = codes.next()?.as_str().to_owned();
    let shared = codes.fold(first.len(), |n, c| {
        first
            .bytes()
            .zip(c.as_str().bytes())
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    // The longest code length of a level that fits in the shared prefix.
    LEVEL_LENS
        .iter()
        .rev()
        .copied()
        .find(|&len| len <= shared)
        .and_then(|len| ScopeCode::parse(&first[..len]).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> ScopeCode {
        ScopeCode::parse(s).unwrap()
    }

    fn device(role: Role, scope: &str) -> AdminActor {
        AdminActor::Device {
            user: Uuid::new_v4(),
            device: Uuid::new_v4(),
            principal: Principal {
                role,
                scopes: vec![code(scope)],
            },
        }
    }

    #[test]
    fn a_centre_administers_its_division_and_nothing_beside_it() {
        let centre = device(Role::Centre, "110105001");
        assert!(centre.may_touch(&code("110105001002003")).is_ok());
        assert!(centre.may_touch(&code("110105001")).is_ok());
        assert!(centre.may_create_below(&code("110105001003")).is_ok());
        assert!(centre.may_create_below(&code("110105001")).is_err());
        assert_eq!(
            centre.may_touch(&code("110105002001001")),
            Err(AdminRefusal::Outside {
                target: "110105002001001".into(),
                governed: "110105001".into()
            })
        );
        assert!(centre.may_touch(&code("110105")).is_err(), "not above it");
    }

    #[test]
    fn a_chief_leader_administers_its_community_only() {
        let chief = device(Role::ChiefLeader, "110105001001");
        assert!(chief.may_touch(&code("110105001001007")).is_ok());
        assert!(chief.may_touch(&code("110105001002001")).is_err());
    }

    #[test]
    fn members_informants_and_leaders_do_not_administer() {
        for (role, scope) in [
            (Role::Member, "110105001001001"),
            (Role::Informant, "110105001001001"),
            (Role::Leader, "110105001001001"),
        ] {
            assert_eq!(
                device(role, scope).may_touch(&code("110105001001001")),
                Err(AdminRefusal::NotAnAdmin(role.as_str()))
            );
        }
    }

    #[test]
    fn the_command_line_is_not_limited() {
        assert!(AdminActor::Cli.may_touch(&code("11")).is_ok());
        assert_eq!(AdminActor::Cli.who(), (None, None));
    }

    #[test]
    fn an_action_is_logged_under_the_narrowest_code_covering_it() {
        let a = code("110105001001001");
        let b = code("110105001001002");
        let c = code("110105001002001");
        assert_eq!(common_scope([&a]), Some(a.clone()));
        assert_eq!(common_scope([&a, &b]), Some(code("110105001001")));
        assert_eq!(common_scope([&a, &b, &c]), Some(code("110105001")));
        assert_eq!(common_scope([&a, &code("120105001001001")]), None);
        assert_eq!(common_scope(std::iter::empty()), None);
    }
}
