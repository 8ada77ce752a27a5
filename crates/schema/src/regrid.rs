//! Grid membership of households, and moving a household to another grid (网格调整):
//! the same changes wherever the move runs, on a device or on the relay.
//!
//! A household lives in its own document (history and all); its grid shows in three
//! places, which a move changes together:
//!
//! - the household document's root `scope` (who may read it) and its `household.grid`
//!   field (where devices list it);
//! - the old grid's index document loses the household's entry;
//! - the new grid's index document gains one (`added_at`, milliseconds).
//!
//! Records written before the move (checks, visits) stay in the old grid's period
//! documents, where the work was done.

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ObjId, ObjType, ROOT, ReadDoc, Value};
use uuid::Uuid;
use wangge_proto::DocumentId;

use crate::genesis::grid_index_id;
use crate::root::{SCOPE_KEY, root_str};
use crate::scope::GridCode;

/// The grid index's map of households, keyed by household id.
pub const INDEX_COLLECTION: &str = "households";
/// The household document's map of its own fields.
pub const HOUSEHOLD_COLLECTION: &str = "household";
/// The field of [`HOUSEHOLD_COLLECTION`] naming the household's grid.
pub const GRID_FIELD: &str = "grid";
/// The field of an index entry: when the household joined the grid (ms).
pub const ADDED_AT_FIELD: &str = "added_at";

/// Why an edit could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The document lacks a map the edit needs (not a document of the right kind).
    #[error("document has no {0} map")]
    NoCollection(&'static str),
    /// automerge refused the operation.
    #[error(transparent)]
    Automerge(#[from] AutomergeError),
}

fn collection(doc: &impl ReadDoc, name: &'static str) -> Result<ObjId, EditError> {
    match doc.get(ROOT, name)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(EditError::NoCollection(name)),
    }
}

/// Lists the household in a grid index document (or refreshes its `added_at`).
pub fn list_household(
    tx: &mut impl Transactable,
    household: Uuid,
    at_millis: i64,
) -> Result<(), EditError> {
    let coll = collection(tx, INDEX_COLLECTION)?;
    let key = household.to_string();
    let entry = match tx.get(&coll, key.as_str())? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => tx.put_object(&coll, key.as_str(), ObjType::Map)?,
    };
    tx.put(&entry, ADDED_AT_FIELD, at_millis)?;
    Ok(())
}

/// Removes the household from a grid index document (nothing if it is not listed).
pub fn unlist_household(tx: &mut impl Transactable, household: Uuid) -> Result<(), EditError> {
    let coll = collection(tx, INDEX_COLLECTION)?;
    let key = household.to_string();
    if tx.get(&coll, key.as_str())?.is_some() {
        tx.delete(&coll, key.as_str())?;
    }
    Ok(())
}

/// The households a grid index document lists (entries that are not household ids are
/// skipped).
pub fn listed_households(doc: &impl ReadDoc) -> Result<Vec<Uuid>, EditError> {
    let coll = collection(doc, INDEX_COLLECTION)?;
    Ok(doc.keys(&coll).filter_map(|k| k.parse().ok()).collect())
}

/// Puts the household document in grid `to`: its scope and its `household.grid`.
pub fn set_household_grid(tx: &mut impl Transactable, to: &GridCode) -> Result<(), EditError> {
    let obj = collection(tx, HOUSEHOLD_COLLECTION)?;
    tx.put(ROOT, SCOPE_KEY, to.as_str())?;
    tx.put(&obj, GRID_FIELD, to.as_str())?;
    Ok(())
}

/// The grid a household document says it is in: `household.grid`, else its scope.
pub fn household_grid(doc: &impl ReadDoc) -> Option<GridCode> {
    let from_field = collection(doc, HOUSEHOLD_COLLECTION).ok().and_then(|obj| {
        match doc.get(&obj, GRID_FIELD).ok()?? {
            (Value::Scalar(s), _) => s.as_str().map(str::to_owned),
            _ => None,
        }
    });
    from_field
        .or_else(|| root_str(doc, SCOPE_KEY))
        .and_then(|g| GridCode::parse(&g).ok())
}

/// One household moving from one grid to another, and the documents that change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdMove {
    /// The household (its document's id is the same UUID).
    pub household: Uuid,
    /// Where it is.
    pub from: GridCode,
    /// Where it goes.
    pub to: GridCode,
    /// When, in milliseconds (the new index entry's `added_at`).
    pub at_millis: i64,
}

impl HouseholdMove {
    /// The household's document.
    pub fn household_doc(&self) -> DocumentId {
        DocumentId::from_uuid(self.household)
    }

    /// The old grid's index document.
    pub fn from_index(&self) -> DocumentId {
        grid_index_id(&self.from)
    }

    /// The new grid's index document (created from its genesis where missing).
    pub fn to_index(&self) -> DocumentId {
        grid_index_id(&self.to)
    }

    /// Whether the move changes anything.
    pub fn is_move(&self) -> bool {
        self.from != self.to
    }

    /// The change to the household's document.
    pub fn edit_household(&self, tx: &mut impl Transactable) -> Result<(), EditError> {
        set_household_grid(tx, &self.to)
    }

    /// The change to the old grid's index.
    pub fn edit_from_index(&self, tx: &mut impl Transactable) -> Result<(), EditError> {
        unlist_household(tx, self.household)
    }

    /// The change to the new grid's index.
    pub fn edit_to_index(&self, tx: &mut impl Transactable) -> Result<(), EditError> {
        list_household(tx, self.household, self.at_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::genesis;
    use crate::kind::DocKind;
    use automerge::Automerge;

    fn grid(s: &str) -> GridCode {
        GridCode::parse(s).unwrap()
    }

    fn household_in(g: &GridCode, id: Uuid) -> Automerge {
        let doc_id = DocumentId::from_uuid(id);
        let mut doc = genesis(&doc_id, DocKind::Household, g.scope(), &[]).unwrap();
        let mut tx = doc.transaction();
        let obj = collection(&tx, HOUSEHOLD_COLLECTION).unwrap();
        tx.put(&obj, GRID_FIELD, g.as_str()).unwrap();
        tx.commit();
        doc
    }

    fn index_of(g: &GridCode) -> Automerge {
        genesis(&grid_index_id(g), DocKind::GridIndex, g.scope(), &[]).unwrap()
    }

    #[test]
    fn a_move_changes_scope_field_and_both_indexes() {
        let (a, c) = (grid("110105001001001"), grid("110105001001003"));
        let id = Uuid::new_v4();
        let mut h = household_in(&a, id);
        let mut from = index_of(&a);
        let mut to = index_of(&c);
        let mut tx = from.transaction();
        list_household(&mut tx, id, 1).unwrap();
        tx.commit();
        let mv = HouseholdMove {
            household: id,
            from: a.clone(),
            to: c.clone(),
            at_millis: 5,
        };
        assert!(mv.is_move());
        assert_eq!(household_grid(&h), Some(a.clone()));
        for (doc, edit) in [(&mut h, 0), (&mut from, 1), (&mut to, 2)] {
            let mut tx = doc.transaction();
            match edit {
                0 => mv.edit_household(&mut tx).unwrap(),
                1 => mv.edit_from_index(&mut tx).unwrap(),
                _ => mv.edit_to_index(&mut tx).unwrap(),
            }
            tx.commit();
        }
        assert_eq!(household_grid(&h), Some(c.clone()));
        assert_eq!(root_str(&h, SCOPE_KEY).as_deref(), Some(c.as_str()));
        assert!(listed_households(&from).unwrap().is_empty());
        assert_eq!(listed_households(&to).unwrap(), vec![id]);
        assert_eq!(mv.household_doc(), DocumentId::from_uuid(id));
        assert_eq!(
            (mv.from_index(), mv.to_index()),
            (grid_index_id(&a), grid_index_id(&c))
        );
    }

    #[test]
    fn unlisting_an_absent_household_changes_nothing_and_wrong_docs_are_refused() {
        let g = grid("110105001001001");
        let mut idx = index_of(&g);
        let heads = idx.get_heads();
        let mut tx = idx.transaction();
        unlist_household(&mut tx, Uuid::new_v4()).unwrap();
        tx.commit();
        assert_eq!(idx.get_heads(), heads);
        let mut bare = Automerge::new();
        let mut tx = bare.transaction();
        assert!(matches!(
            list_household(&mut tx, Uuid::new_v4(), 1),
            Err(EditError::NoCollection(INDEX_COLLECTION))
        ));
    }
}
