//! The root map every Wangge document carries: `kind` and `scope`.
//!
//! The relay decides access from them; the device indexes by them. A document whose
//! first changes have not arrived yet has neither; one from a newer app may carry a kind
//! this build does not know ([`MetaError::UnknownKind`]), which is refused for that
//! document alone.

use automerge::{ROOT, ReadDoc, ScalarValue, Value};

use crate::kind::DocKind;
use crate::scope::ScopeCode;

/// Root key of the document's kind.
pub const KIND_KEY: &str = "kind";
/// Root key of the document's scope.
pub const SCOPE_KEY: &str = "scope";

/// The kind and scope a document declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMeta {
    /// The grid or division whose people may read it.
    pub scope: ScopeCode,
    /// What it holds.
    pub kind: DocKind,
}

/// Why a document's root does not declare a valid scope and kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    /// Root key `scope` missing or not a string.
    #[error("document has no string `scope` in its root map")]
    NoScope,
    /// `scope` is not a grid or division code.
    #[error("document `scope` is not a grid or division code")]
    BadScope,
    /// Root key `kind` missing or not a string.
    #[error("document has no string `kind` in its root map")]
    NoKind,
    /// `kind` is a string this build does not know (cut to 32 characters).
    #[error("document kind {0:?} is not known here")]
    UnknownKind(String),
}

impl MetaError {
    /// Whether the root simply lacks the keys (a document whose first changes have not
    /// arrived), as opposed to carrying wrong ones.
    pub fn is_missing(&self) -> bool {
        matches!(self, MetaError::NoScope | MetaError::NoKind)
    }
}

/// A string at the document's root (`scope`, a period doc's `date` …), `None` if absent or
/// not a string.
pub fn root_str(doc: &impl ReadDoc, key: &str) -> Option<String> {
    match doc.get(ROOT, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The scope and kind a document declares.
pub fn read_meta(doc: &impl ReadDoc) -> Result<DocMeta, MetaError> {
    let kind = root_str(doc, KIND_KEY).ok_or(MetaError::NoKind)?;
    let scope = root_str(doc, SCOPE_KEY).ok_or(MetaError::NoScope)?;
    let kind = DocKind::from_code(&kind)
        .ok_or_else(|| MetaError::UnknownKind(kind.chars().take(32).collect()))?;
    let scope = ScopeCode::parse(&scope).map_err(|_| MetaError::BadScope)?;
    Ok(DocMeta { scope, kind })
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::Automerge;
    use automerge::transaction::Transactable;

    fn doc(pairs: &[(&str, &str)]) -> Automerge {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        for (k, v) in pairs {
            tx.put(ROOT, *k, *v).unwrap();
        }
        tx.commit();
        doc
    }

    #[test]
    fn a_wangge_doc_declares_scope_and_kind() {
        let meta = read_meta(&doc(&[("kind", "household"), ("scope", "110105001001001")])).unwrap();
        assert_eq!(meta.scope.as_str(), "110105001001001");
        assert_eq!(meta.kind, DocKind::Household);
    }

    #[test]
    fn docs_without_valid_meta_are_told_apart() {
        assert_eq!(read_meta(&Automerge::new()), Err(MetaError::NoKind));
        assert!(read_meta(&Automerge::new()).unwrap_err().is_missing());
        assert_eq!(
            read_meta(&doc(&[("kind", "household")])),
            Err(MetaError::NoScope)
        );
        assert_eq!(
            read_meta(&doc(&[("kind", "novel"), ("scope", "110105001001001")])),
            Err(MetaError::UnknownKind("novel".into()))
        );
        assert_eq!(
            read_meta(&doc(&[("kind", "checks"), ("scope", "99")])),
            Err(MetaError::BadScope)
        );
        let mut d = Automerge::new();
        let mut tx = d.transaction();
        tx.put(ROOT, "kind", 7).unwrap();
        tx.commit();
        assert_eq!(read_meta(&d), Err(MetaError::NoKind));
    }
}
