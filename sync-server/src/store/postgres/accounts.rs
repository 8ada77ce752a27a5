//! [`AccountStore`] on PostgreSQL: divisions, grids, users, enrollment codes, devices and
//! the admin generation.

use postgres::GenericClient;
use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::{Principal, Role, ScopeCode};

use super::{PgStore, col, corrupt, db, now};
use crate::store::{AccountStore, AdminLogEntry, DeviceAuth, NewDevice, StoreError, User};

fn user_by_id(c: &mut impl GenericClient, id: Uuid) -> Result<Option<User>, StoreError> {
    let Some(row) = c
        .query_opt("SELECT name, role FROM users WHERE id = $1", &[&id])
        .map_err(db)?
    else {
        return Ok(None);
    };
    let name: String = col(&row, 0)?;
    let role: Role = col::<&str>(&row, 1)?.parse().map_err(corrupt)?;
    let scopes = c
        .query(
            "SELECT code FROM user_scopes WHERE user_id = $1 ORDER BY code COLLATE \"C\"",
            &[&id],
        )
        .map_err(db)?
        .iter()
        .map(|r| col::<&str>(r, 0).and_then(|c| ScopeCode::parse(c).map_err(corrupt)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(User {
        id,
        name,
        principal: Principal { role, scopes },
    }))
}

impl PgStore {
    fn device_where(
        &self,
        clause: &str,
        arg: &(dyn postgres::types::ToSql + Sync),
    ) -> Result<Option<DeviceAuth>, StoreError> {
        let sql = format!("SELECT id, user_id FROM devices WHERE {clause} AND revoked_at IS NULL");
        let mut c = self.conn()?;
        let Some(row) = c.query_opt(&sql, &[arg]).map_err(db)? else {
            return Ok(None);
        };
        let (device_id, user_id): (Uuid, Uuid) = (col(&row, 0)?, col(&row, 1)?);
        let user = user_by_id(&mut *c, user_id)?.ok_or_else(|| corrupt("device without user"))?;
        Ok(Some(DeviceAuth { device_id, user }))
    }

    fn exists(&self, sql: &str, code: &ScopeCode) -> Result<bool, StoreError> {
        self.conn()?
            .query_opt(sql, &[&code.as_str()])
            .map(|r| r.is_some())
            .map_err(db)
    }
}

impl AccountStore for PgStore {
    fn add_division(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError> {
        if code.is_grid() {
            return Err(StoreError::NotFound("division code (got a grid code)"));
        }
        self.write(|c| {
            let n = c
                .execute(
                    "INSERT INTO divisions (code, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&code.as_str(), &name],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StoreError::AlreadyExists("division"));
            }
            Ok(())
        })
    }

    fn division_exists(&self, code: &ScopeCode) -> Result<bool, StoreError> {
        self.exists("SELECT 1 FROM divisions WHERE code = $1", code)
    }

    fn units_under(
        &self,
        scopes: &[ScopeCode],
        limit: usize,
    ) -> Result<Vec<(ScopeCode, String)>, StoreError> {
        let patterns: Vec<String> = scopes.iter().map(|s| format!("{}%", s.as_str())).collect();
        let max = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .conn()?
            .query(
                "SELECT code, name FROM divisions WHERE code LIKE ANY($1::text[])
                 UNION ALL SELECT code, name FROM grids WHERE code LIKE ANY($1::text[])
                 ORDER BY code LIMIT $2",
                &[&patterns, &max],
            )
            .map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let code = ScopeCode::parse(col(r, 0)?).map_err(corrupt)?;
            out.push((code, col::<&str>(r, 1)?.to_owned()));
        }
        Ok(crate::store::accounts::covered_units(scopes, out, limit))
    }

    fn users_under(&self, scopes: &[ScopeCode], limit: usize) -> Result<Vec<User>, StoreError> {
        // Every scope of each user with a scope under one of the prefixes (codes hold no
        // `%` or `_`), by the pattern index on codes.
        let patterns: Vec<String> = scopes.iter().map(|s| format!("{}%", s.as_str())).collect();
        let found = self
            .conn()?
            .query(
                "SELECT u.id, u.name, u.role, s.code FROM users u
                 JOIN user_scopes s ON s.user_id = u.id
                 WHERE u.id IN (SELECT user_id FROM user_scopes WHERE code LIKE ANY($1::text[]))",
                &[&patterns],
            )
            .map_err(db)?;
        let mut rows = Vec::with_capacity(found.len());
        for r in &found {
            rows.push((
                col::<Uuid>(r, 0)?,
                col::<String>(r, 1)?,
                col::<&str>(r, 2)?.parse::<Role>().map_err(corrupt)?,
                ScopeCode::parse(col(r, 3)?).map_err(corrupt)?,
            ));
        }
        Ok(crate::store::accounts::covered_users(scopes, rows, limit))
    }

    fn add_grid(&mut self, code: &ScopeCode, name: &str) -> Result<(), StoreError> {
        let community = code.community().ok_or(StoreError::NotFound("grid code"))?;
        self.write(|c| {
            // The community row stays locked until the grid is in (no concurrent delete
            // exists today, but the check and the insert belong together).
            if c.query_opt(
                "SELECT 1 FROM divisions WHERE code = $1 FOR SHARE",
                &[&community.scope().as_str()],
            )
            .map_err(db)?
            .is_none()
            {
                return Err(StoreError::NotFound("community division of the grid"));
            }
            let n = c
                .execute(
                    "INSERT INTO grids (code, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&code.as_str(), &name],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StoreError::AlreadyExists("grid"));
            }
            Ok(())
        })
    }

    fn grid_exists(&self, code: &ScopeCode) -> Result<bool, StoreError> {
        self.exists("SELECT 1 FROM grids WHERE code = $1", code)
    }

    fn add_user(
        &mut self,
        name: &str,
        role: Role,
        scopes: &[ScopeCode],
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::new_v4();
        self.write(|c| {
            c.execute(
                "INSERT INTO users (id, name, role, created_at) VALUES ($1, $2, $3, $4)",
                &[&id, &name, &role.as_str(), &now()],
            )
            .map_err(db)?;
            let codes: Vec<&str> = scopes.iter().map(ScopeCode::as_str).collect();
            c.execute(
                "INSERT INTO user_scopes (user_id, code) SELECT $1::uuid, unnest($2::text[])
                 ON CONFLICT DO NOTHING",
                &[&id, &codes],
            )
            .map_err(db)?;
            Ok(id)
        })
    }

    fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        user_by_id(&mut *self.conn()?, id)
    }

    fn add_enrollment_code(
        &mut self,
        user: Uuid,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let n = c
                .execute(
                    "INSERT INTO enrollment_codes (code_hash, user_id, expires_at)
                     SELECT $1::text, id, $3::bigint FROM users WHERE id = $2",
                    &[&code_hash, &user, &expires_at],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StoreError::NotFound("user"));
            }
            Ok(())
        })
    }

    fn redeem_enrollment_code(
        &mut self,
        code_hash: &str,
        now_secs: i64,
        device: &NewDevice,
    ) -> Result<Option<User>, StoreError> {
        self.write(|c| {
            let Some(row) = c
                .query_opt(
                    "UPDATE enrollment_codes SET used_at = $2, device_id = $3
                     WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
                     RETURNING user_id",
                    &[&code_hash, &now_secs, &device.device_id],
                )
                .map_err(db)?
            else {
                return Ok(None);
            };
            let user_id: Uuid = col(&row, 0)?;
            c.execute(
                "INSERT INTO devices (id, user_id, token_hash, label, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &device.device_id,
                    &user_id,
                    &device.token_hash,
                    &device.label,
                    &now_secs,
                ],
            )
            .map_err(db)?;
            user_by_id(c, user_id)
        })
    }

    fn authenticate(&self, token_hash: &str) -> Result<Option<DeviceAuth>, StoreError> {
        self.device_where("token_hash = $1", &token_hash)
    }

    fn device(&self, device_id: Uuid) -> Result<Option<DeviceAuth>, StoreError> {
        self.device_where("id = $1", &device_id)
    }

    fn revoke_device(&mut self, device_id: Uuid) -> Result<bool, StoreError> {
        self.write(|c| {
            let n = c
                .execute(
                    "UPDATE devices SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
                    &[&device_id, &now()],
                )
                .map_err(db)?;
            c.execute(
                "UPDATE admin_generation SET generation = generation + 1",
                &[],
            )
            .map_err(db)?;
            Ok(n > 0)
        })
    }

    fn admin_generation(&self) -> Result<i64, StoreError> {
        let row = self
            .conn()?
            .query_one("SELECT generation FROM admin_generation", &[])
            .map_err(db)?;
        col(&row, 0)
    }

    fn record_admin_change(&mut self, docs: &[DocumentId]) -> Result<(), StoreError> {
        self.write(|c| {
            let row = c
                .query_one(
                    "UPDATE admin_generation SET generation = generation + 1
                     RETURNING generation",
                    &[],
                )
                .map_err(db)?;
            let generation: i64 = col(&row, 0)?;
            let ids: Vec<&[u8]> = docs.iter().map(|d| &d.as_bytes()[..]).collect();
            c.execute(
                "INSERT INTO admin_doc_changes (generation, doc_id)
                 SELECT $1::bigint, unnest($2::bytea[]) ON CONFLICT DO NOTHING",
                &[&generation, &ids],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn admin_changes_since(&self, since: i64) -> Result<Vec<DocumentId>, StoreError> {
        self.conn()?
            .query(
                "SELECT DISTINCT doc_id FROM admin_doc_changes WHERE generation > $1
                 ORDER BY doc_id",
                &[&since],
            )
            .map_err(db)?
            .iter()
            .map(|r| col::<&[u8]>(r, 0).and_then(|b| DocumentId::from_bytes(b).map_err(corrupt)))
            .collect()
    }

    fn log_admin_action(&mut self, e: &AdminLogEntry) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(
                "INSERT INTO admin_log (id, at_ms, user_id, device_id, action, scope, target)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &e.id,
                    &e.at_ms,
                    &e.user,
                    &e.device,
                    &e.action,
                    &e.scope.as_str(),
                    &e.target,
                ],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn admin_log(
        &self,
        within: &ScopeCode,
        limit: usize,
    ) -> Result<Vec<AdminLogEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.conn()?
            .query(
                "SELECT id, at_ms, user_id, device_id, action, scope, target FROM admin_log
                 WHERE left(scope, length($1)) = $1
                 ORDER BY at_ms DESC, id DESC LIMIT $2",
                &[&within.as_str(), &limit],
            )
            .map_err(db)?
            .iter()
            .map(|r| {
                Ok(AdminLogEntry {
                    id: col(r, 0)?,
                    at_ms: col(r, 1)?,
                    user: col(r, 2)?,
                    device: col(r, 3)?,
                    action: col(r, 4)?,
                    scope: ScopeCode::parse(col::<&str>(r, 5)?).map_err(corrupt)?,
                    target: col(r, 6)?,
                })
            })
            .collect()
    }
}
