//! The relay's tables as the migration copies them: their columns with one type each,
//! the values read from SQLite and written to PostgreSQL, and a digest per row that both
//! sides compute the same way.

use postgres::types::{ToSql, Type};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A column's type as the migration carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Col {
    /// TEXT on both sides.
    Text,
    /// TEXT (hyphenated) in SQLite, UUID in PostgreSQL.
    Uuid,
    /// BLOB / BYTEA.
    Bytes,
    /// INTEGER / BIGINT.
    Int,
    /// INTEGER 0 or 1 / BOOLEAN.
    Bool,
}

impl Col {
    fn pg_type(self) -> Type {
        match self {
            Col::Text => Type::TEXT,
            Col::Uuid => Type::UUID,
            Col::Bytes => Type::BYTEA,
            Col::Int => Type::INT8,
            Col::Bool => Type::BOOL,
        }
    }
}

/// A column: its name, type and whether it may be NULL.
#[derive(Debug, Clone, Copy)]
pub(super) struct Column {
    pub name: &'static str,
    pub col: Col,
    pub nullable: bool,
}

const fn c(name: &'static str, col: Col) -> Column {
    Column {
        name,
        col,
        nullable: false,
    }
}

const fn opt(name: &'static str, col: Col) -> Column {
    Column {
        name,
        col,
        nullable: true,
    }
}

/// A table copied row for row, in the order that satisfies the foreign keys.
#[derive(Debug)]
pub(super) struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
}

impl Table {
    /// The column names, comma-separated.
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The PostgreSQL types of the columns, for a binary COPY.
    pub fn pg_types(&self) -> Vec<Type> {
        self.columns.iter().map(|c| c.col.pg_type()).collect()
    }
}

use Col::{Bool, Bytes, Int, Text, Uuid as U};

/// Every table of the schema with rows of its own (`admin_generation`, one row, is set
/// apart), parents before children. `blobs` must stay named so: its rows change on the
/// way when photos move to object storage.
pub(super) const TABLES: &[Table] = &[
    Table {
        name: "divisions",
        columns: &[c("code", Text), c("name", Text)],
    },
    Table {
        name: "grids",
        columns: &[c("code", Text), c("name", Text)],
    },
    Table {
        name: "users",
        columns: &[
            c("id", U),
            c("name", Text),
            c("role", Text),
            c("created_at", Int),
        ],
    },
    Table {
        name: "user_scopes",
        columns: &[c("user_id", U), c("code", Text)],
    },
    Table {
        name: "enrollment_codes",
        columns: &[
            c("code_hash", Text),
            c("user_id", U),
            c("expires_at", Int),
            opt("used_at", Int),
            opt("device_id", U),
        ],
    },
    Table {
        name: "devices",
        columns: &[
            c("id", U),
            c("user_id", U),
            c("token_hash", Text),
            c("label", Text),
            c("created_at", Int),
            opt("revoked_at", Int),
        ],
    },
    Table {
        name: "docs",
        columns: &[
            c("id", Bytes),
            c("scope", Text),
            c("kind", Text),
            c("created_at", Int),
            c("updated_at", Int),
        ],
    },
    Table {
        name: "doc_grants",
        columns: &[c("doc_id", Bytes), c("unit", Text)],
    },
    Table {
        name: "doc_chunks",
        columns: &[c("doc_id", Bytes), c("seq", Int), c("bytes", Bytes)],
    },
    Table {
        name: "sync_states",
        columns: &[c("device_id", U), c("doc_id", Bytes), c("state", Bytes)],
    },
    Table {
        name: "admin_doc_changes",
        columns: &[c("generation", Int), c("doc_id", Bytes)],
    },
    Table {
        name: "admin_log",
        columns: &[
            c("id", U),
            c("at_ms", Int),
            opt("user_id", U),
            opt("device_id", U),
            c("action", Text),
            c("scope", Text),
            c("target", Text),
        ],
    },
    Table {
        name: BLOBS,
        columns: &[
            c("sha256", Text),
            c("size", Int),
            c("bytes", Bytes),
            c("created_at", Int),
            c("location", Text),
        ],
    },
    Table {
        name: "blob_scopes",
        columns: &[c("sha256", Text), c("scope", Text)],
    },
    // PostgreSQL numbers uploads itself (`seq`, creation order); rows are copied in
    // SQLite's rowid order, which is creation order there, so the order carries over.
    Table {
        name: "uploads",
        columns: &[
            c("id", U),
            c("device_id", U),
            c("sha256", Text),
            c("scope", Text),
            c("length", Int),
            c("received", Int),
            c("complete", Bool),
            c("created_at", Int),
        ],
    },
    Table {
        name: "upload_chunks",
        columns: &[c("upload_id", U), c("seq", Int), c("bytes", Bytes)],
    },
];

/// The blobs table's name.
pub(super) const BLOBS: &str = "blobs";
/// Column indexes in [`BLOBS`]' rows.
pub(super) const BLOB_SHA256: usize = 0;
pub(super) const BLOB_SIZE: usize = 1;
pub(super) const BLOB_BYTES: usize = 2;
pub(super) const BLOB_LOCATION: usize = 4;

/// One value of a row, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Val {
    Null(Col),
    Text(String),
    Uuid(Uuid),
    Bytes(Vec<u8>),
    Int(i64),
    Bool(bool),
}

impl Val {
    /// The value as a COPY parameter.
    pub fn as_sql(&self) -> &(dyn ToSql + Sync) {
        const NULL_TEXT: Option<String> = None;
        const NULL_UUID: Option<Uuid> = None;
        const NULL_BYTES: Option<Vec<u8>> = None;
        const NULL_INT: Option<i64> = None;
        const NULL_BOOL: Option<bool> = None;
        match self {
            Val::Null(Col::Text) => &NULL_TEXT,
            Val::Null(Col::Uuid) => &NULL_UUID,
            Val::Null(Col::Bytes) => &NULL_BYTES,
            Val::Null(Col::Int) => &NULL_INT,
            Val::Null(Col::Bool) => &NULL_BOOL,
            Val::Text(v) => v,
            Val::Uuid(v) => v,
            Val::Bytes(v) => v,
            Val::Int(v) => v,
            Val::Bool(v) => v,
        }
    }

    /// The text of a TEXT value.
    pub fn text(&self) -> Option<&str> {
        match self {
            Val::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The integer of an INTEGER value.
    pub fn int(&self) -> Option<i64> {
        match self {
            Val::Int(n) => Some(*n),
            _ => None,
        }
    }
}

/// A SQLite value as the column's type, or why it is not one.
pub(super) fn from_sqlite(
    column: &Column,
    value: rusqlite::types::ValueRef<'_>,
) -> Result<Val, String> {
    use rusqlite::types::ValueRef as V;
    let bad = |what: &str| format!("column {} holds {what}", column.name);
    Ok(match (column.col, value) {
        (col, V::Null) if column.nullable => Val::Null(col),
        (_, V::Null) => return Err(bad("NULL")),
        (Col::Text, V::Text(t)) => {
            Val::Text(String::from_utf8(t.to_vec()).map_err(|_| bad("text that is not UTF-8"))?)
        }
        (Col::Uuid, V::Text(t)) => Val::Uuid(
            std::str::from_utf8(t)
                .ok()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| bad("text that is not a UUID"))?,
        ),
        (Col::Bytes, V::Blob(b)) => Val::Bytes(b.to_vec()),
        (Col::Int, V::Integer(n)) => Val::Int(n),
        (Col::Bool, V::Integer(0)) => Val::Bool(false),
        (Col::Bool, V::Integer(1)) => Val::Bool(true),
        (col, _) => return Err(bad(&format!("a value that is not {col:?}"))),
    })
}

/// A PostgreSQL value as the column's type.
pub(super) fn from_pg(column: &Column, row: &postgres::Row, i: usize) -> Result<Val, String> {
    let bad = |e: postgres::Error| format!("column {}: {e}", column.name);
    let val = match column.col {
        Col::Text => row
            .try_get::<_, Option<String>>(i)
            .map_err(bad)?
            .map(Val::Text),
        Col::Uuid => row
            .try_get::<_, Option<Uuid>>(i)
            .map_err(bad)?
            .map(Val::Uuid),
        Col::Bytes => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map_err(bad)?
            .map(Val::Bytes),
        Col::Int => row.try_get::<_, Option<i64>>(i).map_err(bad)?.map(Val::Int),
        Col::Bool => row
            .try_get::<_, Option<bool>>(i)
            .map_err(bad)?
            .map(Val::Bool),
    };
    Ok(val.unwrap_or(Val::Null(column.col)))
}

/// A table's digest: the wrapping sum of its rows' SHA-256, so it does not depend on the
/// order rows are read in (which differs by collation), while any row missing, extra or
/// changed changes it. Rows are unique by primary key, so none cancels another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableDigest {
    hi: u128,
    lo: u128,
}

impl TableDigest {
    /// Adds a row.
    pub(super) fn add(&mut self, row: &[Val]) {
        let mut h = Sha256::new();
        for v in row {
            match v {
                Val::Null(_) => h.update([0]),
                Val::Text(t) => field(&mut h, 1, t.as_bytes()),
                Val::Uuid(u) => field(&mut h, 2, u.as_bytes()),
                Val::Bytes(b) => field(&mut h, 3, b),
                Val::Int(n) => field(&mut h, 4, &n.to_le_bytes()),
                Val::Bool(b) => field(&mut h, 5, &[u8::from(*b)]),
            }
        }
        let d: [u8; 32] = h.finalize().into();
        let (a, b) = d.split_at(16);
        let mut hi = [0u8; 16];
        let mut lo = [0u8; 16];
        hi.copy_from_slice(a);
        lo.copy_from_slice(b);
        self.hi = self.hi.wrapping_add(u128::from_be_bytes(hi));
        self.lo = self.lo.wrapping_add(u128::from_be_bytes(lo));
    }

    /// The digest as 64 hex digits.
    pub fn hex(&self) -> String {
        format!("{:032x}{:032x}", self.hi, self.lo)
    }
}

fn field(h: &mut Sha256, tag: u8, bytes: &[u8]) {
    h.update([tag]);
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_ignores_row_order_and_sees_any_changed_value() {
        let r1 = vec![Val::Text("a".into()), Val::Int(1)];
        let r2 = vec![Val::Text("b".into()), Val::Null(Col::Int)];
        let mut x = TableDigest::default();
        x.add(&r1);
        x.add(&r2);
        let mut y = TableDigest::default();
        y.add(&r2);
        y.add(&r1);
        assert_eq!(x, y);
        let mut z = TableDigest::default();
        z.add(&r1);
        z.add(&[Val::Text("b".into()), Val::Int(0)]);
        assert_ne!(x, z);
        // Field boundaries count: ("ab", "") is not ("a", "b").
        let mut p = TableDigest::default();
        p.add(&[Val::Text("ab".into()), Val::Text(String::new())]);
        let mut q = TableDigest::default();
        q.add(&[Val::Text("a".into()), Val::Text("b".into())]);
        assert_ne!(p, q);
    }

    #[test]
    fn sqlite_values_must_fit_their_column() {
        use rusqlite::types::ValueRef;
        let uuid = c("id", Col::Uuid);
        assert!(from_sqlite(&uuid, ValueRef::Text(b"not-a-uuid")).is_err());
        assert!(from_sqlite(&uuid, ValueRef::Null).is_err());
        assert_eq!(
            from_sqlite(&opt("id", Col::Uuid), ValueRef::Null),
            Ok(Val::Null(Col::Uuid))
        );
        let flag = c("complete", Col::Bool);
        assert_eq!(
            from_sqlite(&flag, ValueRef::Integer(1)),
            Ok(Val::Bool(true))
        );
        assert!(from_sqlite(&flag, ValueRef::Integer(2)).is_err());
    }
}
