//! `GET /v1/directory`: the names of the units and people a device's user works with, as
//! the relay sends them and the device reads them.
//!
//! Units (divisions, departments, grids under the device's scopes) carry codes and names
//! only. People (the users whose scopes lie under the device's) are sent only to those who
//! direct work: leaders, communities and centres pick a member to hand a task to and see
//! who has confirmed a notice. A person's name is personal data: never logged.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::Role;

/// Where a device fetches its directory (名录).
pub const DIRECTORY_PATH: &str = "/v1/directory";

/// Most units one answer carries (a district has a few thousand grids).
pub const MAX_UNITS: usize = 20_000;

/// Most people one answer carries.
pub const MAX_PEOPLE: usize = 50_000;

/// The directory answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// Units, in code order.
    pub units: Vec<DirectoryUnit>,
    /// People, by id (empty for a member's device, and from a relay that sends none).
    #[serde(default)]
    pub people: Vec<DirectoryPerson>,
}

/// One unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUnit {
    /// Its code (division, department or grid).
    pub code: String,
    /// Its name.
    pub name: String,
}

/// One person (a user account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DirectoryPerson {
    /// The user's id (what steps, receipts and clues name).
    pub id: Uuid,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Their grids or division, in code order.
    pub scopes: Vec<String>,
}

/// Whether a user of `role` is sent the people under their scopes.
pub fn sees_people(role: Role) -> bool {
    matches!(role, Role::Leader | Role::ChiefLeader | Role::Centre)
}
