//! [`AccountStore`] on SQLite: divisions, grids, users, enrollment codes, devices and the
//! admin generation.

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::{Principal, Role, ScopeCode};

use super::tx::write_tx;
use super::{SqliteStore, corrupt, db, now};
use crate::store::{AccountStore, AdminLogEntry, DeviceAuth, NewDevice, StoreError, User};

impl SqliteStore {
    fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row: Option<(String, String)> = self
            .conn
            .query_row("SELECT name, role FROM users WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(db)?;
        let Some((name, role)) = row else {
            return Ok(None);
        };
        let role: Role = role.parse().map_err(corrupt)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT code FROM user_scopes WHERE user_id = ?1 ORDER BY code")
            .map_err(db)?;
        let scopes = stmt
            .query_map([id], |r| r.get::<_, String>(0))
            .map_err(db)?
            .map(|c| {
                c.map_err(db)
                    .and_then(|c| ScopeCode::parse(&c).map_err(corrupt))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(User {
            id: Uuid::parse_str(id).map_err(corrupt)?,
            name,
            principal: Principal { role, scopes },
        }))
    }

    fn device_where(&self, clause: &str, arg: &str) -> Result<Option<DeviceAuth>, StoreError> {
        let sql = format!("SELECT id, user_id FROM devices WHERE {clause} AND revoked_at IS NULL");
        let row: Option<(String, String)> = self
            .conn
            .query_row(&sql, [arg], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db)?;
        let Some((device_id, user_id)) = row else {
            return Ok(None);
        };
        let user = self
            .user_by_id(&user_id)?
            .ok_or_else(|| corrupt("device without user"))?;
        Ok(Some(DeviceAuth {
            device_id: Uuid::parse_str(&device_id).map_err(corrupt)?,
            user,
        }))
    }
}

impl AccountStore for SqliteStore {
    fn add_division(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError> {
        if code.is_grid() {
            return Err(StoreError::NotFound("division code (got a grid code)"));
        }
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO divisions (code, name) VALUES (?1, ?2)",
                params![code.as_str(), name],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::AlreadyExists("division"));
        }
        Ok(())
    }

    fn division_exists(&self, code: &ScopeCode) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM divisions WHERE code = ?1",
                [code.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db)
    }

    fn units_under(
        &self,
        scopes: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<(ScopeCode, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT code, name FROM divisions WHERE substr(code, 1, ?2) = ?1
                 UNION ALL SELECT code, name FROM grids WHERE substr(code, 1, ?2) = ?1
                 ORDER BY code LIMIT ?3",
            )
            .map_err(db)?;
        let mut out = Vec::new();
        for s in scopes {
            let rows = stmt
                .query_map(
                    params![
                        s.as_str(),
                        i64::try_from(s.as_str().len()).unwrap_or(i64::MAX),
                        i64::try_from(limit).unwrap_or(i64::MAX)
                    ],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                )
                .map_err(db)?;
            for row in rows {
                let (code, name) = row.map_err(db)?;
                let code = ScopeCode::parse(&code).map_err(corrupt)?;
                out.push((code, name));
            }
        }
        Ok(super::super::accounts::covered_units(scopes, out, limit))
    }

    fn users_under(&self, scopes: &[ScopeCode], limit: usize) -> Result<Vec<User>, StoreError> {
        // Every scope of each user with a scope in the range of codes starting with the
        // prefix (code characters all sort below `~`), by the index on codes.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT u.id, u.name, u.role, s.code FROM users u
                 JOIN user_scopes s ON s.user_id = u.id
                 WHERE u.id IN (SELECT user_id FROM user_scopes WHERE code >= ?1 AND code < ?2)",
            )
            .map_err(db)?;
        let mut rows = Vec::new();
        for s in scopes {
            let found = stmt
                .query_map(params![s.as_str(), format!("{}~", s.as_str())], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(db)?;
            for row in found {
                let (id, name, role, code) = row.map_err(db)?;
                rows.push((
                    Uuid::parse_str(&id).map_err(corrupt)?,
                    name,
                    role.parse::<Role>().map_err(corrupt)?,
                    ScopeCode::parse(&code).map_err(corrupt)?,
                ));
            }
        }
        Ok(super::super::accounts::covered_users(scopes, rows, limit))
    }

    fn add_grid(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError> {
        let community = code.community().ok_or(StoreError::NotFound("grid code"))?;
        if !self.division_exists(community.scope())? {
            return Err(StoreError::NotFound("community division of the grid"));
        }
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO grids (code, name) VALUES (?1, ?2)",
                params![code.as_str(), name],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::AlreadyExists("grid"));
        }
        Ok(())
    }

    fn grid_exists(&self, code: &ScopeCode) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM grids WHERE code = ?1",
                [code.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db)
    }

    fn add_user(
        &mut self,
        name: &str,
        role: Role,
        scopes: &[ScopeCode],
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::new_v4();
        let tx = write_tx(&mut self.conn)?;
        tx.execute(
            "INSERT INTO users (id, name, role, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id.to_string(), name, role.as_str(), now()],
        )
        .map_err(db)?;
        for s in scopes {
            tx.execute(
                "INSERT OR IGNORE INTO user_scopes (user_id, code) VALUES (?1, ?2)",
                params![id.to_string(), s.as_str()],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(id)
    }

    fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.user_by_id(&id.to_string())
    }

    fn add_enrollment_code(
        &mut self,
        user: Uuid,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        if self.user(user)?.is_none() {
            return Err(StoreError::NotFound("user"));
        }
        self.conn
            .execute(
                "INSERT INTO enrollment_codes (code_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![code_hash, user.to_string(), expires_at],
            )
            .map_err(db)?;
        Ok(())
    }

    fn redeem_enrollment_code(
        &mut self,
        code_hash: &str,
        now_secs: i64,
        device: &NewDevice,
    ) -> Result<Option<User>, StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let user_id: Option<String> = tx
            .query_row(
                "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3
                 WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                 RETURNING user_id",
                params![code_hash, now_secs, device.device_id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        tx.execute(
            "INSERT INTO devices (id, user_id, token_hash, label, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                device.device_id.to_string(),
                user_id,
                device.token_hash,
                device.label,
                now_secs
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        self.user_by_id(&user_id)
    }

    fn authenticate(&self, token_hash: &str) -> Result<Option<DeviceAuth>, StoreError> {
        self.device_where("token_hash = ?1", token_hash)
    }

    fn device(&self, device_id: Uuid) -> Result<Option<DeviceAuth>, StoreError> {
        self.device_where("id = ?1", &device_id.to_string())
    }

    fn revoke_device(&mut self, device_id: Uuid) -> Result<bool, StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let n = tx
            .execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
                params![device_id.to_string(), now()],
            )
            .map_err(db)?;
        tx.execute(
            "UPDATE admin_generation SET generation = generation + 1",
            [],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(n > 0)
    }

    fn admin_generation(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT generation FROM admin_generation", [], |r| r.get(0))
            .map_err(db)
    }

    fn record_admin_change(&mut self, docs: &[DocumentId]) -> Result<(), StoreError> {
        let tx = write_tx(&mut self.conn)?;
        let generation: i64 = tx
            .query_row(
                "UPDATE admin_generation SET generation = generation + 1 RETURNING generation",
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO admin_doc_changes (generation, doc_id) VALUES (?1, ?2)",
                )
                .map_err(db)?;
            for d in docs {
                ins.execute(params![generation, &d.as_bytes()[..]])
                    .map_err(db)?;
            }
        }
        tx.commit().map_err(db)
    }

    fn admin_changes_since(&self, since: i64) -> Result<Vec<DocumentId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT doc_id FROM admin_doc_changes WHERE generation > ?1 ORDER BY doc_id",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([since], |r| r.get::<_, Vec<u8>>(0))
            .map_err(db)?;
        rows.map(|r| {
            r.map_err(db)
                .and_then(|b| DocumentId::from_bytes(&b).map_err(corrupt))
        })
        .collect()
    }

    fn log_admin_action(&mut self, e: &AdminLogEntry) -> Result<(), StoreError> {
        let tx = write_tx(&mut self.conn)?;
        tx.execute(
            "INSERT INTO admin_log (id, at_ms, user_id, device_id, action, scope, target)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                e.id.to_string(),
                e.at_ms,
                e.user.map(|u| u.to_string()),
                e.device.map(|d| d.to_string()),
                e.action,
                e.scope.as_str(),
                e.target
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    fn admin_log(
        &self,
        within: &ScopeCode,
        limit: usize,
    ) -> Result<Vec<AdminLogEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, at_ms, user_id, device_id, action, scope, target FROM admin_log
                 WHERE substr(scope, 1, length(?1)) = ?1
                 ORDER BY at_ms DESC, id DESC LIMIT ?2",
            )
            .map_err(db)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![within.as_str(), limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(db)?;
        let uuid = |s: &str| Uuid::parse_str(s).map_err(corrupt);
        rows.map(|r| {
            let (id, at_ms, user, device, action, scope, target) = r.map_err(db)?;
            Ok(AdminLogEntry {
                id: uuid(&id)?,
                at_ms,
                user: user.as_deref().map(uuid).transpose()?,
                device: device.as_deref().map(uuid).transpose()?,
                action,
                scope: ScopeCode::parse(&scope).map_err(corrupt)?,
                target,
            })
        })
        .collect()
    }
}
