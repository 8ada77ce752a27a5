//! [`PgError`]: a PostgreSQL driver error as the relay reports it, without the values the
//! server quotes.

use std::fmt;

/// A failure of the PostgreSQL client or server, the source of
/// [`StoreError::Database`](crate::store::StoreError::Database).
///
/// A server error's `DETAIL` quotes the values involved (`Key (token_hash)=(…) already
/// exists`), which may be personal data or secrets; this type keeps the severity, the
/// SQLSTATE, the message and the constraint, and drops the detail, hint and context. A
/// client-side failure (I/O, a closed connection, a bad connection string) keeps the
/// driver's error as its [`source`](std::error::Error::source).
pub struct PgError {
    summary: String,
    sqlstate: Option<String>,
    source: Option<postgres::Error>,
}

impl PgError {
    /// The SQLSTATE of a server error (`23505` for a unique violation, say).
    pub fn sqlstate(&self) -> Option<&str> {
        self.sqlstate.as_deref()
    }
}

impl From<postgres::Error> for PgError {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            Some(d) => {
                let mut summary = format!("{} {}: {}", d.severity(), d.code().code(), d.message());
                if let Some(c) = d.constraint() {
                    summary.push_str(&format!(" (constraint {c})"));
                }
                PgError {
                    summary,
                    sqlstate: Some(d.code().code().to_owned()),
                    source: None,
                }
            }
            None => PgError {
                summary: "PostgreSQL client error".to_owned(),
                sqlstate: None,
                source: Some(e),
            },
        }
    }
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            // Client errors name what failed ("connection closed"), never values.
            Some(e) => write!(f, "{}: {e}", self.summary),
            None => f.write_str(&self.summary),
        }
    }
}

impl fmt::Debug for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgError")
            .field("summary", &self.summary)
            .field("sqlstate", &self.sqlstate)
            .field("source", &self.source.as_ref().map(ToString::to_string))
            .finish()
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
