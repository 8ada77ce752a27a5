//! The directory (名录): the divisions, departments and grids under the device's scopes
//! with their names, as the relay last sent it ([`Store::replace_directory`], fetched by
//! the photo task), read back for the dispatch picker and for naming units on screens;
//! and, for those who direct work, the people under them (who a notice is for).

use rusqlite::params;

use super::Store;
use crate::error::{CoreError, Result};
use crate::model::{MAX_UNIT_NAME_CHARS, Unit, UnitKind};
pub use wangge_schema::directory::DirectoryPerson;

fn kind_code(k: UnitKind) -> &'static str {
    match k {
        UnitKind::Division => "division",
        UnitKind::Department => "department",
        UnitKind::Grid => "grid",
    }
}

fn kind_of(code: &str) -> Result<UnitKind> {
    Ok(match code {
        "division" => UnitKind::Division,
        "department" => UnitKind::Department,
        "grid" => UnitKind::Grid,
        other => return Err(CoreError::Corrupt(format!("unit kind {other:?}"))),
    })
}

impl Store {
    /// Replaces the directory by `units` and `people`, in one transaction.
    pub fn replace_directory(&mut self, units: &[Unit], people: &[DirectoryPerson]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM directory", [])?;
        tx.execute("DELETE FROM directory_people", [])?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO directory (code, name, kind) VALUES (?1, ?2, ?3)",
            )?;
            for u in units {
                stmt.execute(params![u.code, u.name, kind_code(u.kind)])?;
            }
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO directory_people (id, name, role, scopes)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for p in people {
                let name: String = p.name.chars().take(MAX_UNIT_NAME_CHARS).collect();
                let scopes = serde_json::to_string(&p.scopes)
                    .map_err(|e| CoreError::Corrupt(e.to_string()))?;
                stmt.execute(params![p.id.to_string(), name, p.role.as_str(), scopes])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The people of the directory, by name (empty for a member's device).
    pub fn directory_people(&self) -> Result<Vec<DirectoryPerson>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, name, role, scopes FROM directory_people ORDER BY name, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, role, scopes) = row?;
            let (Ok(id), Ok(role), Ok(scopes)) = (
                uuid::Uuid::parse_str(&id),
                role.parse(),
                serde_json::from_str(&scopes),
            ) else {
                continue;
            };
            out.push(DirectoryPerson {
                id,
                name,
                role,
                scopes,
            });
        }
        Ok(out)
    }

    /// The directory, in code order (empty before the relay first sent it).
    pub fn directory(&self) -> Result<Vec<Unit>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT code, name, kind FROM directory ORDER BY code")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (code, name, kind) = row?;
            out.push(Unit {
                code,
                name,
                kind: kind_of(&kind)?,
            });
        }
        Ok(out)
    }

    /// The name the directory gives `code`, if it has it.
    pub fn unit_name(&self, code: &str) -> Result<Option<String>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT name FROM directory WHERE code = ?1")?;
        let mut rows = stmt.query([code])?;
        Ok(match rows.next()? {
            Some(r) => Some(r.get(0)?),
            None => None,
        })
    }
}
